import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';
import { repoRoot } from '../helpers/paths.ts';
import { openStores } from '../../stores/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKERS = 5;
const OPS = 40;

interface WorkerResult { code: number | null; stderr: string; result?: { counts: Record<string, number>; registered: number[] } }

test(`${WORKERS} processes registering, promoting and rolling back at once keep the aliases consistent`, async (t) => {
  const dir = tempDir(t);
  const dbFile = path.join(dir, 'mlops.db');
  const registryDir = path.join(dir, 'registry');
  const sourceDir = path.join(dir, 'export');
  const goFile = path.join(dir, 'go');
  fs.mkdirSync(sourceDir);
  fs.writeFileSync(path.join(sourceDir, 'model.onnx'), 'onnx');
  fs.writeFileSync(path.join(sourceDir, 'labels.json'), '[]');
  openStores({ dbFile, registryDir }).close(); // migrate once, so the workers race on data, not on DDL

  let ready = 0;
  let markReady = () => {};
  const allReady = new Promise<void>((resolve) => { markReady = resolve; });
  const results = Array.from({ length: WORKERS }, (_, i) => new Promise<WorkerResult>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/registry-worker.ts'),
      dbFile, registryDir, sourceDir, goFile, String(i + 1), String(OPS)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (d.includes('ready') && ++ready === WORKERS) markReady();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      resolve({ code, stderr, result: last.startsWith('{') ? JSON.parse(last) : undefined });
    });
  }));
  await Promise.race([allReady, Promise.all(results)]);
  fs.writeFileSync(goFile, 'go');
  const done = await Promise.all(results);

  for (const [i, r] of done.entries()) {
    assert.equal(r.code, 0, `worker ${i + 1} crashed:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /SQLITE_BUSY|database is locked/);
  }
  const registered = done.flatMap((r) => r.result!.registered).sort((a, b) => a - b);
  assert.ok(registered.length > 0);
  assert.deepEqual(registered, registered.map((_, i) => i + 1), 'every registration got its own version number, no gaps');
  const ops = done.reduce((n, r) => n + Object.values(r.result!.counts).reduce((a, b) => a + b, 0), 0);
  assert.equal(ops, WORKERS * OPS);

  const stores = openStores({ dbFile, registryDir });
  t.after(() => stores.close());
  const versions = stores.registry.listVersions('food101');
  assert.deepEqual(versions.map((v) => v.version), registered);
  for (const v of versions) assert.ok(fs.existsSync(v.modelFile), `v${v.version} has its files`);
  const aliases = stores.registry.aliases('food101');
  assert.equal(versions.filter((v) => v.aliases.includes('champion')).length, 1, 'exactly one champion');
  if (aliases.prev_champion !== undefined) assert.notEqual(aliases.prev_champion, aliases.champion);
  for (const [alias, v] of Object.entries(aliases)) assert.ok(versions.some((x) => x.version === v), `${alias} -> v${v} exists`);
  const leftovers = fs.readdirSync(path.join(registryDir, 'food101')).filter((f) => !/^v\d+$/.test(f));
  assert.deepEqual(leftovers, [], 'no temporary directories left behind');
});
