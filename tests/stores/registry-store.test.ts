import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir } from '../helpers/tmp.ts';
import { backends, openClient, type Backend } from '../helpers/store-backends.ts';
import { SqlRegistryStore, type RegistryStore } from '../../stores/registry-store.ts';
import { HOST_TAG } from '../../stores/registry-files.ts';
import { GateRefusedError, StoreError } from '../../stores/errors.ts';

async function setup(t: TestContext, backend: Backend) {
  const dir = tempDir(t);
  const url = await backend.url(t);
  const db = await openClient(t, url);
  const registryDir = path.join(dir, 'registry');
  let n = 0;
  /** A fake export directory, distinct content each time. */
  const source = (extra: Record<string, string> = {}) => {
    const src = path.join(dir, `export-${++n}`);
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'model.onnx'), `onnx bytes ${n}`);
    fs.writeFileSync(path.join(src, 'labels.json'), '["pizza","steak","sushi"]');
    fs.writeFileSync(path.join(src, 'preprocessing.json'), '{"resize":256,"crop":224}');
    for (const [f, c] of Object.entries(extra)) fs.writeFileSync(path.join(src, f), c);
    return src;
  };
  return { dir, db, url, registryDir, source, registry: new SqlRegistryStore(db, { registryDir }) };
}

function code(expected: string) {
  return (err: unknown) => err instanceof StoreError && err.code === expected;
}

/** One version per alias (by construction), every alias on an existing version, prev_champion != champion. */
async function assertConsistent(registry: RegistryStore, name: string) {
  const aliases = await registry.aliases(name);
  const versions = new Set((await registry.listVersions(name)).map((v) => v.version));
  for (const [alias, v] of Object.entries(aliases)) assert.ok(versions.has(v), `${alias} -> v${v} exists`);
  if (aliases.prev_champion !== undefined) assert.notEqual(aliases.prev_champion, aliases.champion);
}

for (const backend of backends) {
  const name = (s: string) => `${backend.name}: ${s}`;

  test(name('register copies the export, hashes the model, and sets champion then challenger'), async (t) => {
    const { registry, registryDir, source } = await setup(t, backend);
    const v1 = await registry.register({ name: 'food101', sourceDir: source(), lineage: { run_id: 'r1', dataset_version: 'mini' }, metrics: { 'test.accuracy': 0.7 } });
    assert.equal(v1.version, 1);
    assert.deepEqual(v1.aliases, ['champion']);
    assert.equal(v1.artifactDir, path.join(registryDir, 'food101', 'v1'));
    assert.equal(v1.sha256, createHash('sha256').update('onnx bytes 1').digest('hex'));
    assert.equal(v1.size, 'onnx bytes 1'.length);
    assert.deepEqual(fs.readdirSync(v1.artifactDir).sort(), ['labels.json', 'model.onnx', 'preprocessing.json']);
    assert.deepEqual(v1.lineage, { run_id: 'r1', dataset_version: 'mini' });

    const v2 = await registry.register({ name: 'food101', sourceDir: source(), metrics: { 'test.accuracy': 0.8 } });
    assert.deepEqual(v2.aliases, ['challenger']);
    const v3 = await registry.register({ name: 'food101', sourceDir: source(), metrics: { 'test.accuracy': 0.75 } });
    assert.deepEqual(await registry.aliases('food101'), { challenger: 3, champion: 1 }, 'a newer registration takes the challenger alias');
    assert.deepEqual(v3.aliases, ['challenger']);

    assert.equal((await registry.resolve('food101', 'champion'))?.version, 1);
    assert.equal((await registry.resolve('food101', 2))?.modelFile, path.join(registryDir, 'food101', 'v2', 'model.onnx'));
    assert.equal((await registry.resolve('food101', 'v2'))?.version, 2);
    assert.equal((await registry.resolve('food101', '3'))?.version, 3);
    assert.equal((await registry.resolve('food101', 'latest'))?.version, 3);
    assert.equal(await registry.resolve('food101', 'prev_champion'), undefined);
    assert.equal(await registry.resolve('food101', 9), undefined);
    assert.equal(await registry.resolve('other', 'champion'), undefined);
    assert.deepEqual((await registry.listModels()).map((m) => [m.name, m.latestVersion]), [['food101', 3]]);
    assert.deepEqual((await registry.listVersions('food101')).map((v) => v.version), [1, 2, 3]);
    assert.equal(fs.readdirSync(path.join(registryDir, 'food101')).filter((f) => f.startsWith('.')).length, 0, 'no temp dirs left');
    await assertConsistent(registry, 'food101');
  });

  test(name('register refuses a source without the model file and bad names; replaces debris of a crashed attempt'), async (t) => {
    const { registry, registryDir, source, dir } = await setup(t, backend);
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    await assert.rejects(registry.register({ name: 'm', sourceDir: empty }), code('REGISTRY_INVALID_SOURCE'));
    await assert.rejects(registry.register({ name: '../evil', sourceDir: source() }), code('REGISTRY_INVALID_NAME'));
    assert.equal((await registry.listModels()).length, 0);

    fs.mkdirSync(path.join(registryDir, 'm', 'v1'), { recursive: true });
    fs.writeFileSync(path.join(registryDir, 'm', 'v1', 'stale.txt'), 'left by a crash');
    const abandoned = path.join(registryDir, 'm', '.register.tmp-999999999-abc');
    const recent = path.join(registryDir, 'm', `.register.tmp-999999999-new`);
    const deadHere = path.join(registryDir, 'm', `.register.tmp-999999999-${HOST_TAG}-xyz`);
    fs.mkdirSync(abandoned);
    fs.mkdirSync(recent);
    fs.mkdirSync(deadHere);
    const old = new Date(Date.now() - 2 * 3_600_000);
    fs.utimesSync(abandoned, old, old);
    const v1 = await registry.register({ name: 'm', sourceDir: source() });
    assert.equal(v1.version, 1);
    assert.ok(!fs.existsSync(path.join(v1.artifactDir, 'stale.txt')));
    assert.ok(!fs.existsSync(abandoned), 'the copy of a dead registering process is removed');
    assert.ok(fs.existsSync(recent), 'a recent copy is left alone (its owner may be on another host)');
    assert.ok(!fs.existsSync(deadHere), 'a copy made on this host by a process that is gone is removed at once');
  });

  test(name('promote is gated on the metric: refuses when not better, allows with force'), async (t) => {
    const { registry, source } = await setup(t, backend);
    await registry.register({ name: 'm', sourceDir: source(), metrics: { 'test.accuracy': 0.74 } });
    await registry.register({ name: 'm', sourceDir: source(), metrics: { 'test.accuracy': 0.71 } });
    const gen = await registry.aliasGeneration('m');

    await assert.rejects(registry.promote('m', { metric: 'test.accuracy', minDelta: 0 }), (err: unknown) => {
      assert.ok(err instanceof GateRefusedError);
      assert.equal(err.code, 'REGISTRY_GATE_REFUSED');
      assert.match(err.message, /test\.accuracy=0\.71/);
      assert.match(err.message, /test\.accuracy=0\.74/);
      assert.match(err.message, /--force/);
      assert.equal(err.challengerValue, 0.71);
      assert.equal(err.championValue, 0.74);
      return true;
    });
    assert.deepEqual(await registry.aliases('m'), { challenger: 2, champion: 1 });
    assert.equal(await registry.aliasGeneration('m'), gen, 'a refused promotion changes nothing');

    const forced = await registry.promote('m', { metric: 'test.accuracy', minDelta: 0, force: true });
    assert.deepEqual(forced, { champion: 2, prevChampion: 1, challengerValue: 0.71, championValue: 0.74, forced: true });
    assert.deepEqual(await registry.aliases('m'), { champion: 2, prev_champion: 1 });
    assert.ok(await registry.aliasGeneration('m') > gen);
    await assertConsistent(registry, 'm');
  });

  test(name('promote needs a strict improvement larger than min_delta; lower-is-better metrics compare the other way'), async (t) => {
    const { registry, source } = await setup(t, backend);
    await registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.7, loss: 0.5 } });
    await registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.7, loss: 0.4 } });
    await assert.rejects(registry.promote('m', { metric: 'acc', minDelta: 0 }), code('REGISTRY_GATE_REFUSED'), 'equal is not better');
    await assert.rejects(registry.promote('m', { metric: 'loss', minDelta: 0 }), code('REGISTRY_GATE_REFUSED'), 'higher loss is worse');
    await assert.rejects(registry.promote('m', { metric: 'loss', minDelta: 0.2, higherIsBetter: false }), code('REGISTRY_GATE_REFUSED'));
    const ok = await registry.promote('m', { metric: 'loss', minDelta: 0.05, higherIsBetter: false });
    assert.equal(ok.forced, false);
    assert.deepEqual(await registry.aliases('m'), { champion: 2, prev_champion: 1 });
  });

  test(name('a missing metric refuses promotion unless forced'), async (t) => {
    const { registry, source } = await setup(t, backend);
    await registry.register({ name: 'm', sourceDir: source(), metrics: {} });
    await registry.register({ name: 'm', sourceDir: source(), metrics: { 'test.accuracy': 0.9 } });
    await assert.rejects(registry.promote('m', { metric: 'test.accuracy', minDelta: 0 }), (err: unknown) =>
      err instanceof GateRefusedError && /champion v1 test\.accuracy=missing/.test(err.message) && /--force/.test(err.message));
    assert.equal((await registry.promote('m', { metric: 'test.accuracy', minDelta: 0, force: true })).forced, true);
  });

  test(name('rollback restores prev_champion and makes the demoted champion the challenger'), async (t) => {
    const { registry, source } = await setup(t, backend);
    await registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.5 } });
    await assert.rejects(registry.promote('m', { metric: 'acc', minDelta: 0 }), code('REGISTRY_NO_CHALLENGER'));
    await assert.rejects(registry.rollback('m'), code('REGISTRY_NO_PREVIOUS_CHAMPION'));
    await registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.6 } });
    await registry.promote('m', { metric: 'acc', minDelta: 0 });
    assert.deepEqual(await registry.aliases('m'), { champion: 2, prev_champion: 1 });

    assert.deepEqual(await registry.rollback('m'), { champion: 1, challenger: 2 });
    assert.deepEqual(await registry.aliases('m'), { challenger: 2, champion: 1 });
    await assertConsistent(registry, 'm');
    await assert.rejects(registry.rollback('m'), code('REGISTRY_NO_PREVIOUS_CHAMPION'), 'no second rollback by accident');

    // The demoted version can be re-promoted (gate applies again).
    await registry.promote('m', { metric: 'acc', minDelta: 0 });
    assert.deepEqual(await registry.aliases('m'), { champion: 2, prev_champion: 1 });
    assert.deepEqual(
      (await registry.history('m', 3)).map((e) => [e.alias, e.fromVersion, e.toVersion, e.reason]),
      [['challenger', 2, null, 'promote'], ['champion', 1, 2, 'promote'], ['prev_champion', null, 1, 'promote']],
    );
  });

  test(name('a challenger without a champion simply becomes champion'), async (t) => {
    const { registry, source } = await setup(t, backend);
    await registry.register({ name: 'm', sourceDir: source() });
    await registry.register({ name: 'm', sourceDir: source() });
    assert.equal(await registry.deleteAlias('m', 'champion'), true);
    assert.equal(await registry.deleteAlias('m', 'champion'), false);
    assert.deepEqual(await registry.promote('m', { metric: 'acc', minDelta: 0 }), { champion: 2, forced: false });
    assert.deepEqual(await registry.aliases('m'), { champion: 2 });
  });

  test(name('setAlias validates the alias name, the model and the version'), async (t) => {
    const { registry, source } = await setup(t, backend);
    await registry.register({ name: 'm', sourceDir: source() });
    await registry.register({ name: 'm', sourceDir: source() });
    for (const bad of ['Champion', '1st', 'v2', 'latest', 'has space', '']) {
      await assert.rejects(registry.setAlias('m', bad, 1), code('REGISTRY_INVALID_ALIAS'), bad);
    }
    await assert.rejects(registry.setAlias('m', 'canary', 7), code('REGISTRY_UNKNOWN_VERSION'));
    await assert.rejects(registry.setAlias('nope', 'canary', 1), (err: unknown) =>
      err instanceof StoreError && err.code === 'REGISTRY_UNKNOWN_MODEL' && /registered: m/.test(err.message));
    await assert.rejects(registry.promote('nope', { metric: 'a', minDelta: 0 }), code('REGISTRY_UNKNOWN_MODEL'));
    const gen = await registry.aliasGeneration('m');
    await registry.setAlias('m', 'canary', 2);
    await registry.setAlias('m', 'canary', 2);
    assert.equal(await registry.aliasGeneration('m'), gen + 1, 'setting an alias to its current version is not a change');
    assert.equal((await registry.resolve('m', 'canary'))?.version, 2);
    assert.deepEqual((await registry.resolve('m', 2))?.aliases, ['canary', 'challenger']);
    assert.equal(await registry.aliasGeneration('unknown'), 0);
  });

  test(name('registerUnlessPresent returns the version with the same model sha256, even under concurrent calls'), async (t) => {
    const { registry, source, db, registryDir } = await setup(t, backend);
    const src = source();
    const other = new SqlRegistryStore(db, { registryDir });
    const outcomes = await Promise.all([registry, other, registry, other].map((r) => r.registerUnlessPresent({ name: 'm', sourceDir: src })));
    assert.deepEqual(outcomes.map((o) => o.version.version), [1, 1, 1, 1]);
    assert.equal(outcomes.filter((o) => o.created).length, 1, 'exactly one call registered it');
    const again = await registry.registerUnlessPresent({ name: 'm', sourceDir: source() });
    assert.deepEqual([again.created, again.version.version], [true, 2]);
    assert.equal((await registry.listVersions('m')).length, 2);
    assert.equal(await registry.hasModel('m'), true);
    assert.equal(await registry.hasModel('nope'), false);
    assert.deepEqual((await registry.listAllVersions()).map((v) => [v.name, v.version, v.aliases]), [['m', 1, ['champion']], ['m', 2, ['challenger']]]);
  });
}
