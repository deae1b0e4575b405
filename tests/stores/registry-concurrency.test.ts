/**
 * Several processes registering, promoting, rolling back and moving aliases at once, in rounds: after every
 * round exactly one champion, no duplicate or missing version numbers, every alias on an existing version.
 * On every backend (the PostgreSQL run is the one that matters for several machines).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';
import { repoRoot } from '../helpers/paths.ts';
import { backends, openTestStores } from '../helpers/store-backends.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKERS = 4;
const ROUNDS = 20;
const OPS_PER_ROUND = 3;

interface RoundResult { round: number; counts: Record<string, number>; registered: number[] }

/** A worker process and a reader of its JSON lines. */
function worker(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/registry-worker.ts'), ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = async (): Promise<string> => {
    const r = await Promise.race([lines.next(), exited.then((code) => ({ done: true as const, value: `exit ${code}` }))]);
    if (r.done) throw new Error(`worker exited early (${r.value}):\n${stderr}`);
    return r.value;
  };
  return { child, next, exited, stderr: () => stderr };
}

for (const backend of backends) {
  test(`${backend.name}: ${ROUNDS} rounds of concurrent register/promote/rollback from ${WORKERS} processes leave exactly one champion each time`, { timeout: 240_000 }, async (t) => {
    const dir = tempDir(t);
    const url = await backend.url(t);
    const registryDir = path.join(dir, 'registry');
    const sourceDir = path.join(dir, 'export');
    fs.mkdirSync(sourceDir);
    fs.writeFileSync(path.join(sourceDir, 'model.onnx'), 'onnx');
    fs.writeFileSync(path.join(sourceDir, 'labels.json'), '[]');
    const stores = await openTestStores(t, url, { registryDir }); // migrates once, so the workers race on data, not on DDL
    await stores.registry.register({ name: 'food101', sourceDir, metrics: { 'test.accuracy': 0.5 } });

    const workers = Array.from({ length: WORKERS }, () => worker([url, registryDir, sourceDir, String(OPS_PER_ROUND)]));
    t.after(() => { for (const w of workers) w.child.kill(); });
    for (const w of workers) assert.equal(await w.next(), 'ready');

    const registered: number[] = [1];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, w] of workers.entries()) w.child.stdin.write(`round ${round} ${round * 100 + i}\n`);
      const results = await Promise.all(workers.map(async (w) => JSON.parse(await w.next()) as RoundResult));
      for (const r of results) {
        assert.equal(r.round, round);
        assert.equal(Object.values(r.counts).reduce((a, b) => a + b, 0), OPS_PER_ROUND);
        registered.push(...r.registered);
      }
      const versions = await stores.registry.listVersions('food101');
      const aliases = await stores.registry.aliases('food101');
      assert.equal(versions.filter((v) => v.aliases.includes('champion')).length, 1, `round ${round}: exactly one champion`);
      assert.deepEqual(versions.map((v) => v.version), versions.map((_, i) => i + 1), `round ${round}: versions 1..n, no gaps`);
      assert.deepEqual([...registered].sort((a, b) => a - b), versions.map((v) => v.version), `round ${round}: every registration got its own version`);
      if (aliases.prev_champion !== undefined) assert.notEqual(aliases.prev_champion, aliases.champion);
      for (const [alias, v] of Object.entries(aliases)) assert.ok(versions.some((x) => x.version === v), `${alias} -> v${v} exists`);
    }
    for (const w of workers) w.child.stdin.write('exit\n');
    for (const w of workers) assert.equal(await w.exited, 0, w.stderr());
    for (const v of await stores.registry.listVersions('food101')) assert.ok(fs.existsSync(v.modelFile), `v${v.version} has its files`);
    const leftovers = fs.readdirSync(path.join(registryDir, 'food101')).filter((f) => !/^v\d+$/.test(f));
    assert.deepEqual(leftovers, [], 'no temporary directories left behind');
  });
}
