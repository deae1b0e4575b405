import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';
import { repoRoot } from '../helpers/paths.ts';
import { openDatabase } from '../../stores/db.ts';
import { openStores } from '../../stores/index.ts';
import { CONFIG_HASH_TAG, SqliteTrackingStore } from '../../stores/tracking-store.ts';
import { StoreError } from '../../stores/errors.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function fixedClock(start = 1_700_000_000_000) {
  let t = start;
  const clock = () => t;
  clock.set = (v: number) => { t = v; };
  clock.advance = (ms: number) => { t += ms; };
  return clock;
}

function open(t: Parameters<typeof tempDir>[0], opts: ConstructorParameters<typeof SqliteTrackingStore>[1] = {}) {
  const dir = tempDir(t);
  const db = openDatabase(path.join(dir, 'mlops.db'));
  t.after(() => db.close());
  return { db, dir, store: new SqliteTrackingStore(db, opts) };
}

test('experiments are created once, race-free, with upserted tags', (t) => {
  const { store } = open(t);
  const a = store.getOrCreateExperiment('food101-mini_13c_tr75_te25_abcd1234', { dataset: 'mini' });
  const b = store.getOrCreateExperiment('food101-mini_13c_tr75_te25_abcd1234', { classes: '13' });
  assert.equal(a.id, b.id);
  assert.deepEqual(b.tags, { classes: '13', dataset: 'mini' });
  assert.equal(store.listExperiments().length, 1);
  assert.equal(store.getExperiment(a.id)?.name, a.name);
  assert.equal(store.getExperiment('nope'), undefined);
});

test('metric series come back sorted by step, then timestamp, then logging order; latest is the last point', (t) => {
  const clock = fixedClock();
  const { store } = open(t, { now: clock });
  const exp = store.getOrCreateExperiment('e');
  const runId = store.startRun({ experimentId: exp.id, name: 'linear_c1_fold1', params: { lr: 0.001, epochs: 30, flip: true } });
  assert.match(runId, /^[0-9a-f]{32}$/);
  store.logMetrics(runId, [
    { key: 'val_loss', value: 0.9, step: 2, timestamp: 30 },
    { key: 'val_loss', value: 1.2, step: 0, timestamp: 10 },
    { key: 'val_loss', value: 1.0, step: 1, timestamp: 20 },
  ]);
  store.logMetrics(runId, [
    { key: 'val_loss', value: 0.95, step: 1, timestamp: 20 },
    { key: 'val_loss', value: Number.NaN, step: 3, timestamp: 40 },
  ]);
  const run = store.getRun(runId)!;
  assert.deepEqual(run.series.val_loss.map((m) => [m.step, m.value]), [[0, 1.2], [1, 1.0], [1, 0.95], [2, 0.9], [3, Number.NaN]]);
  assert.equal(run.metrics.val_loss.step, 3);
  assert.ok(Number.isNaN(run.metrics.val_loss.value));
  assert.deepEqual(run.params, { epochs: '30', flip: 'true', lr: '0.001' });
  assert.equal(run.status, 'running');
  assert.equal(run.pid, process.pid);
});

test('endRun writes final metrics, tags and status together; a bad final batch leaves the run untouched', (t) => {
  const clock = fixedClock();
  const { store } = open(t, { now: clock });
  const exp = store.getOrCreateExperiment('e');
  const runId = store.startRun({ experimentId: exp.id, name: 'mlp_c2_fold1' });
  store.logMetrics(runId, [{ key: 'train_loss', value: 1, step: 0 }]);

  assert.throws(
    () => store.endRun(runId, 'finished', { metrics: [{ key: 'train_time_sec', value: 12.5, step: 0 }, { key: 'bad', value: 1, step: 0.5 }] }),
    (err: unknown) => err instanceof StoreError && err.code === 'TRACKING_INVALID_INPUT',
  );
  let run = store.getRun(runId)!;
  assert.equal(run.status, 'running');
  assert.equal(run.metrics.train_time_sec, undefined, 'nothing of the failed final batch was written');

  clock.advance(5000);
  store.endRun(runId, 'finished', { metrics: [{ key: 'train_time_sec', value: 12.5, step: 0 }], tags: { [CONFIG_HASH_TAG]: 'h1' } });
  run = store.getRun(runId)!;
  assert.equal(run.status, 'finished');
  assert.equal(run.endTime, clock());
  assert.equal(run.metrics.train_time_sec.value, 12.5);
  assert.throws(() => store.logMetrics(runId, [{ key: 'x', value: 1, step: 0 }]), (err: unknown) => err instanceof StoreError && err.code === 'TRACKING_RUN_NOT_ACTIVE');
  assert.throws(() => store.endRun(runId, 'failed'), /is finished/);
});

test('getRun by name finds the newest; findFinishedRun matches the config hash of finished runs only', (t) => {
  const clock = fixedClock();
  const { store } = open(t, { now: clock });
  const exp = store.getOrCreateExperiment('e');
  const other = store.getOrCreateExperiment('other');
  const first = store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1', tags: { [CONFIG_HASH_TAG]: 'aaa', fold: '1' } });
  store.endRun(first, 'finished');
  clock.advance(1000);
  const failed = store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1', tags: { [CONFIG_HASH_TAG]: 'bbb' } });
  store.endRun(failed, 'failed', { error: 'out of memory' });
  clock.advance(1000);
  store.startRun({ experimentId: other.id, name: 'mlp_c1_fold1' });

  assert.equal(store.getRun('mlp_c1_fold1', { experiment: exp.id })?.runId, failed);
  assert.equal(store.getRun('mlp_c1_fold1', { experiment: 'e' })?.error, 'out of memory');
  assert.equal(store.findFinishedRun(exp.id, 'mlp_c1_fold1', 'aaa')?.runId, first);
  assert.equal(store.findFinishedRun(exp.id, 'mlp_c1_fold1', 'bbb'), undefined, 'a failed run is never reused');
  assert.equal(store.findFinishedRun(other.id, 'mlp_c1_fold1', 'aaa'), undefined);

  assert.equal(store.listRuns({ experiment: 'e' }).length, 2);
  assert.deepEqual(store.listRuns({ experiment: exp.id, status: 'failed' }).map((r) => r.runId), [failed]);
  assert.deepEqual(store.listRuns({ status: ['running'] }).map((r) => r.experimentId), [other.id]);
  assert.equal(store.listRuns({ experiment: 'missing' }).length, 0);
  assert.equal(store.listRuns({ experiment: exp.id })[0].tags.fold, '1');
});

test('child runs keep their parent', (t) => {
  const { store } = open(t);
  const exp = store.getOrCreateExperiment('e');
  const parent = store.startRun({ experimentId: exp.id, name: 'grid' });
  const child = store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1', parentRunId: parent });
  assert.equal(store.getRun(child)?.parentRunId, parent);
  assert.deepEqual(store.listRuns({ parentRunId: parent }).map((r) => r.runId), [child]);
  assert.throws(() => store.startRun({ experimentId: exp.id, name: 'x', parentRunId: 'f'.repeat(32) }), /no run with id/);
  assert.throws(() => store.startRun({ experimentId: 999, name: 'x' }), /no experiment with id 999/);
});

test('a run of a SIGKILLed process is marked killed on the next open', async (t) => {
  const dir = tempDir(t);
  const dbFile = path.join(dir, 'mlops.db');
  const registryDir = path.join(dir, 'registry');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/start-run.ts'), dbFile, registryDir], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout) {
    out += chunk;
    if (out.includes('\n')) break;
  }
  const runId = out.trim();
  assert.match(runId, /^[0-9a-f]{32}$/);

  // While the owner lives, opening the stores does not touch its run.
  const live = openStores({ dbFile, registryDir });
  assert.equal(live.recoveredRuns, 0);
  assert.equal(live.tracking.getRun(runId)?.status, 'running');
  live.close();

  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;

  const stores = openStores({ dbFile, registryDir });
  t.after(() => stores.close());
  assert.equal(stores.recoveredRuns, 1);
  const run = stores.tracking.getRun(runId)!;
  assert.equal(run.status, 'killed');
  assert.match(run.error ?? '', /owner process \d+ .* is gone/);
  assert.equal(run.metrics.train_loss.value, 1.5, 'what the run logged before dying is kept');
  assert.equal(stores.tracking.recoverOrphans(), 0, 'recovery is idempotent');
});

test('a run owned by another host is only declared dead after a day without activity', (t) => {
  const clock = fixedClock();
  const { db } = open(t);
  const remote = new SqliteTrackingStore(db, { now: clock, host: 'gpu-node-7', pid: 4242 });
  const exp = remote.getOrCreateExperiment('e');
  const stale = remote.startRun({ experimentId: exp.id, name: 'stale' });
  clock.advance(20 * 3_600_000);
  const busy = remote.startRun({ experimentId: exp.id, name: 'busy' });
  clock.advance(5 * 3_600_000);

  const local = new SqliteTrackingStore(db, { now: clock });
  assert.equal(local.recoverOrphans(), 1);
  assert.equal(local.getRun(stale)?.status, 'killed');
  assert.match(local.getRun(stale)?.error ?? '', /gpu-node-7 has shown no activity/);
  assert.equal(local.getRun(busy)?.status, 'running');
});

test('several processes logging to their own runs at once never hit SQLITE_BUSY', async (t) => {
  const dir = tempDir(t);
  const dbFile = path.join(dir, 'mlops.db');
  const registryDir = path.join(dir, 'registry');
  const goFile = path.join(dir, 'go');
  openStores({ dbFile, registryDir }).close();
  const workers = 4;
  const epochs = 150;
  let ready = 0;
  const children = Array.from({ length: workers }, (_, i) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/tracking-worker.ts'), dbFile, registryDir, goFile, `shard${i}`, String(epochs)], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('ready') && ++ready === workers) fs.writeFileSync(goFile, 'go');
    });
    return once(child, 'exit').then(([code]) => ({ code, stderr }));
  });
  for (const r of await Promise.all(children)) assert.equal(r.code, 0, r.stderr);

  const stores = openStores({ dbFile, registryDir });
  t.after(() => stores.close());
  const runs = stores.tracking.listRuns({ experiment: 'shared' });
  assert.equal(runs.length, workers);
  for (const r of runs) {
    assert.equal(r.status, 'finished');
    assert.equal(stores.tracking.getRun(r.runId)!.series.train_loss.length, epochs);
  }
});
