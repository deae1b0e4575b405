import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir } from '../helpers/tmp.ts';
import { openDatabase } from '../../stores/db.ts';
import { SqliteRegistryStore, type RegistryStore } from '../../stores/registry-store.ts';
import { GateRefusedError, StoreError } from '../../stores/errors.ts';

type T = Parameters<typeof tempDir>[0];

function setup(t: T) {
  const dir = tempDir(t);
  const db = openDatabase(path.join(dir, 'mlops.db'));
  t.after(() => db.close());
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
  return { dir, db, registryDir, source, registry: new SqliteRegistryStore(db, { registryDir }) };
}

function code(expected: string) {
  return (err: unknown) => err instanceof StoreError && err.code === expected;
}

/** One version per alias (by construction), every alias on an existing version, prev_champion != champion. */
function assertConsistent(registry: RegistryStore, name: string) {
  const aliases = registry.aliases(name);
  const versions = new Set(registry.listVersions(name).map((v) => v.version));
  for (const [alias, v] of Object.entries(aliases)) assert.ok(versions.has(v), `${alias} -> v${v} exists`);
  if (aliases.prev_champion !== undefined) assert.notEqual(aliases.prev_champion, aliases.champion);
}

test('register copies the export, hashes the model, and sets champion then challenger', (t) => {
  const { registry, registryDir, source } = setup(t);
  const v1 = registry.register({ name: 'food101', sourceDir: source(), lineage: { runId: 'r1', dataset: 'mini' }, metrics: { 'test.accuracy': 0.7 } });
  assert.equal(v1.version, 1);
  assert.deepEqual(v1.aliases, ['champion']);
  assert.equal(v1.artifactDir, path.join(registryDir, 'food101', 'v1'));
  assert.equal(v1.sha256, createHash('sha256').update('onnx bytes 1').digest('hex'));
  assert.equal(v1.size, 'onnx bytes 1'.length);
  assert.deepEqual(fs.readdirSync(v1.artifactDir).sort(), ['labels.json', 'model.onnx', 'preprocessing.json']);
  assert.deepEqual(v1.lineage, { runId: 'r1', dataset: 'mini' });

  const v2 = registry.register({ name: 'food101', sourceDir: source(), metrics: { 'test.accuracy': 0.8 } });
  assert.deepEqual(v2.aliases, ['challenger']);
  const v3 = registry.register({ name: 'food101', sourceDir: source(), metrics: { 'test.accuracy': 0.75 } });
  assert.deepEqual(registry.aliases('food101'), { challenger: 3, champion: 1 }, 'a newer registration takes the challenger alias');
  assert.deepEqual(v3.aliases, ['challenger']);

  assert.equal(registry.resolve('food101', 'champion')?.version, 1);
  assert.equal(registry.resolve('food101', 2)?.modelFile, path.join(registryDir, 'food101', 'v2', 'model.onnx'));
  assert.equal(registry.resolve('food101', 'v2')?.version, 2);
  assert.equal(registry.resolve('food101', '3')?.version, 3);
  assert.equal(registry.resolve('food101', 'latest')?.version, 3);
  assert.equal(registry.resolve('food101', 'prev_champion'), undefined);
  assert.equal(registry.resolve('food101', 9), undefined);
  assert.equal(registry.resolve('other', 'champion'), undefined);
  assert.deepEqual(registry.listModels().map((m) => [m.name, m.latestVersion]), [['food101', 3]]);
  assert.deepEqual(registry.listVersions('food101').map((v) => v.version), [1, 2, 3]);
  assert.equal(fs.readdirSync(path.join(registryDir, 'food101')).filter((f) => f.startsWith('.')).length, 0, 'no temp dirs left');
  assertConsistent(registry, 'food101');
});

test('register refuses a source without the model file and bad names; replaces debris of a crashed attempt', (t) => {
  const { registry, registryDir, source, dir } = setup(t);
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  assert.throws(() => registry.register({ name: 'm', sourceDir: empty }), code('REGISTRY_INVALID_SOURCE'));
  assert.throws(() => registry.register({ name: '../evil', sourceDir: source() }), code('REGISTRY_INVALID_NAME'));
  assert.equal(registry.listModels().length, 0);

  fs.mkdirSync(path.join(registryDir, 'm', 'v1'), { recursive: true });
  fs.writeFileSync(path.join(registryDir, 'm', 'v1', 'stale.txt'), 'left by a crash');
  const abandoned = path.join(registryDir, 'm', '.register.tmp-999999999-abc');
  const recent = path.join(registryDir, 'm', `.register.tmp-999999999-new`);
  fs.mkdirSync(abandoned);
  fs.mkdirSync(recent);
  const old = new Date(Date.now() - 2 * 3_600_000);
  fs.utimesSync(abandoned, old, old);
  const v1 = registry.register({ name: 'm', sourceDir: source() });
  assert.equal(v1.version, 1);
  assert.ok(!fs.existsSync(path.join(v1.artifactDir, 'stale.txt')));
  assert.ok(!fs.existsSync(abandoned), 'the copy of a dead registering process is removed');
  assert.ok(fs.existsSync(recent), 'a recent copy is left alone (its owner may be on another host)');
});

test('promote is gated on the metric: refuses when not better, allows with force', (t) => {
  const { registry, source } = setup(t);
  registry.register({ name: 'm', sourceDir: source(), metrics: { 'test.accuracy': 0.74 } });
  registry.register({ name: 'm', sourceDir: source(), metrics: { 'test.accuracy': 0.71 } });
  const gen = registry.aliasGeneration('m');

  assert.throws(() => registry.promote('m', { metric: 'test.accuracy', minDelta: 0 }), (err: unknown) => {
    assert.ok(err instanceof GateRefusedError);
    assert.equal(err.code, 'REGISTRY_GATE_REFUSED');
    assert.match(err.message, /test\.accuracy=0\.71/);
    assert.match(err.message, /test\.accuracy=0\.74/);
    assert.match(err.message, /--force/);
    assert.equal(err.challengerValue, 0.71);
    assert.equal(err.championValue, 0.74);
    return true;
  });
  assert.deepEqual(registry.aliases('m'), { challenger: 2, champion: 1 });
  assert.equal(registry.aliasGeneration('m'), gen, 'a refused promotion changes nothing');

  const forced = registry.promote('m', { metric: 'test.accuracy', minDelta: 0, force: true });
  assert.deepEqual(forced, { champion: 2, prevChampion: 1, challengerValue: 0.71, championValue: 0.74, forced: true });
  assert.deepEqual(registry.aliases('m'), { champion: 2, prev_champion: 1 });
  assert.ok(registry.aliasGeneration('m') > gen);
  assertConsistent(registry, 'm');
});

test('promote needs a strict improvement larger than min_delta; lower-is-better metrics compare the other way', (t) => {
  const { registry, source } = setup(t);
  registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.7, loss: 0.5 } });
  registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.7, loss: 0.4 } });
  assert.throws(() => registry.promote('m', { metric: 'acc', minDelta: 0 }), code('REGISTRY_GATE_REFUSED'), 'equal is not better');
  assert.throws(() => registry.promote('m', { metric: 'loss', minDelta: 0 }), code('REGISTRY_GATE_REFUSED'), 'higher loss is worse');
  assert.throws(() => registry.promote('m', { metric: 'loss', minDelta: 0.2, higherIsBetter: false }), code('REGISTRY_GATE_REFUSED'));
  const ok = registry.promote('m', { metric: 'loss', minDelta: 0.05, higherIsBetter: false });
  assert.equal(ok.forced, false);
  assert.deepEqual(registry.aliases('m'), { champion: 2, prev_champion: 1 });
});

test('a missing metric refuses promotion unless forced', (t) => {
  const { registry, source } = setup(t);
  registry.register({ name: 'm', sourceDir: source(), metrics: {} });
  registry.register({ name: 'm', sourceDir: source(), metrics: { 'test.accuracy': 0.9 } });
  assert.throws(() => registry.promote('m', { metric: 'test.accuracy', minDelta: 0 }), (err: unknown) =>
    err instanceof GateRefusedError && /champion v1 test\.accuracy=missing/.test(err.message) && /--force/.test(err.message));
  assert.equal(registry.promote('m', { metric: 'test.accuracy', minDelta: 0, force: true }).forced, true);
});

test('rollback restores prev_champion and makes the demoted champion the challenger', (t) => {
  const { registry, source } = setup(t);
  registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.5 } });
  assert.throws(() => registry.promote('m', { metric: 'acc', minDelta: 0 }), code('REGISTRY_NO_CHALLENGER'));
  assert.throws(() => registry.rollback('m'), code('REGISTRY_NO_PREVIOUS_CHAMPION'));
  registry.register({ name: 'm', sourceDir: source(), metrics: { acc: 0.6 } });
  registry.promote('m', { metric: 'acc', minDelta: 0 });
  assert.deepEqual(registry.aliases('m'), { champion: 2, prev_champion: 1 });

  assert.deepEqual(registry.rollback('m'), { champion: 1, challenger: 2 });
  assert.deepEqual(registry.aliases('m'), { challenger: 2, champion: 1 });
  assertConsistent(registry, 'm');
  assert.throws(() => registry.rollback('m'), code('REGISTRY_NO_PREVIOUS_CHAMPION'), 'no second rollback by accident');

  // The demoted version can be re-promoted (gate applies again).
  registry.promote('m', { metric: 'acc', minDelta: 0 });
  assert.deepEqual(registry.aliases('m'), { champion: 2, prev_champion: 1 });
  assert.deepEqual(
    registry.history('m', 3).map((e) => [e.alias, e.fromVersion, e.toVersion, e.reason]),
    [['challenger', 2, null, 'promote'], ['champion', 1, 2, 'promote'], ['prev_champion', null, 1, 'promote']],
  );
});

test('a challenger without a champion simply becomes champion', (t) => {
  const { registry, source } = setup(t);
  registry.register({ name: 'm', sourceDir: source() });
  registry.register({ name: 'm', sourceDir: source() });
  assert.equal(registry.deleteAlias('m', 'champion'), true);
  assert.equal(registry.deleteAlias('m', 'champion'), false);
  assert.deepEqual(registry.promote('m', { metric: 'acc', minDelta: 0 }), { champion: 2, forced: false });
  assert.deepEqual(registry.aliases('m'), { champion: 2 });
});

test('setAlias validates the alias name, the model and the version', (t) => {
  const { registry, source } = setup(t);
  registry.register({ name: 'm', sourceDir: source() });
  registry.register({ name: 'm', sourceDir: source() });
  for (const bad of ['Champion', '1st', 'v2', 'latest', 'has space', '']) {
    assert.throws(() => registry.setAlias('m', bad, 1), code('REGISTRY_INVALID_ALIAS'), bad);
  }
  assert.throws(() => registry.setAlias('m', 'canary', 7), code('REGISTRY_UNKNOWN_VERSION'));
  assert.throws(() => registry.setAlias('nope', 'canary', 1), (err: unknown) =>
    err instanceof StoreError && err.code === 'REGISTRY_UNKNOWN_MODEL' && /registered: m/.test(err.message));
  assert.throws(() => registry.promote('nope', { metric: 'a', minDelta: 0 }), code('REGISTRY_UNKNOWN_MODEL'));
  const gen = registry.aliasGeneration('m');
  registry.setAlias('m', 'canary', 2);
  registry.setAlias('m', 'canary', 2);
  assert.equal(registry.aliasGeneration('m'), gen + 1, 'setting an alias to its current version is not a change');
  assert.equal(registry.resolve('m', 'canary')?.version, 2);
  assert.deepEqual(registry.resolve('m', 2)?.aliases, ['canary', 'challenger']);
  assert.equal(registry.aliasGeneration('unknown'), 0);
});
