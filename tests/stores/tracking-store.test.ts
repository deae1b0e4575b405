/**
 * The tracking store's contract, on every backend (SQLite always, PostgreSQL when MLOPS_TEST_POSTGRES_URL is set).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';
import { repoRoot } from '../helpers/paths.ts';
import { backends, openClient, openTestStores } from '../helpers/store-backends.ts';
import { CONFIG_HASH_TAG, SqlTrackingStore, type TrackingStoreOptions } from '../../stores/tracking-store.ts';
import { StoreError } from '../../stores/errors.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function fixedClock(start = 1_700_000_000_000) {
  let t = start;
  const clock = () => t;
  clock.set = (v: number) => { t = v; };
  clock.advance = (ms: number) => { t += ms; };
  return clock;
}

const isCode = (code: string) => (err: unknown) => err instanceof StoreError && err.code === code;

for (const backend of backends) {
  const open = async (t: TestContext, opts: TrackingStoreOptions = {}) => {
    const url = await backend.url(t);
    const db = await openClient(t, url);
    const store = new SqlTrackingStore(db, opts);
    t.after(() => store.close());
    return { db, url, store };
  };
  const name = (s: string) => `${backend.name}: ${s}`;

  test(name('experiments are created once, race-free, with upserted tags'), async (t) => {
    const { store } = await open(t);
    const [a, a2] = await Promise.all([
      store.getOrCreateExperiment('food101-mini_13c_tr75_te25_abcd1234', { dataset: 'mini' }),
      store.getOrCreateExperiment('food101-mini_13c_tr75_te25_abcd1234'),
    ]);
    assert.equal(a.id, a2.id);
    const b = await store.getOrCreateExperiment('food101-mini_13c_tr75_te25_abcd1234', { classes: '13' });
    assert.equal(a.id, b.id);
    assert.deepEqual(b.tags, { classes: '13', dataset: 'mini' });
    assert.equal((await store.listExperiments()).length, 1);
    assert.equal((await store.getExperiment(a.id))?.name, a.name);
    assert.equal(await store.getExperiment('nope'), undefined);
    await assert.rejects(store.getOrCreateExperiment('  '), isCode('TRACKING_INVALID_INPUT'));
  });

  test(name('metric series come back sorted by step, then timestamp, then logging order; latest is the last point'), async (t) => {
    const { store } = await open(t, { now: fixedClock() });
    const exp = await store.getOrCreateExperiment('e');
    const runId = await store.startRun({ experimentId: exp.id, name: 'linear_c1_fold1', params: { lr: 0.001, epochs: 30, flip: true } });
    assert.match(runId, /^[0-9a-f]{32}$/);
    await store.logMetrics(runId, [
      { key: 'val_loss', value: 0.9, step: 2, timestamp: 30 },
      { key: 'val_loss', value: 1.2, step: 0, timestamp: 10 },
      { key: 'val_loss', value: 1.0, step: 1, timestamp: 20 },
    ]);
    await store.logMetrics(runId, [
      { key: 'val_loss', value: 0.95, step: 1, timestamp: 20 },
      { key: 'val_loss', value: Number.NaN, step: 3, timestamp: 40 },
      { key: 'val_acc', value: 0.1 + 0.2, step: 3, timestamp: 1_764_633_600_123 },
    ]);
    const run = (await store.getRun(runId))!;
    assert.deepEqual(run.series.val_loss.map((m) => [m.step, m.value]), [[0, 1.2], [1, 1.0], [1, 0.95], [2, 0.9], [3, Number.NaN]]);
    assert.equal(run.metrics.val_loss.step, 3);
    assert.ok(Number.isNaN(run.metrics.val_loss.value));
    assert.equal(run.metrics.val_acc.value, 0.1 + 0.2, 'doubles round-trip exactly');
    assert.equal(run.metrics.val_acc.timestamp, 1_764_633_600_123, 'ms timestamps are 64-bit');
    assert.deepEqual(run.params, { epochs: '30', flip: 'true', lr: '0.001' });
    assert.equal(run.status, 'running');
    assert.equal(run.pid, process.pid);
  });

  test(name('endRun writes final metrics, tags and status together; a bad final batch leaves the run untouched'), async (t) => {
    const clock = fixedClock();
    const { store } = await open(t, { now: clock });
    const exp = await store.getOrCreateExperiment('e');
    const runId = await store.startRun({ experimentId: exp.id, name: 'mlp_c2_fold1' });
    await store.logMetrics(runId, [{ key: 'train_loss', value: 1, step: 0 }]);

    await assert.rejects(
      store.endRun(runId, 'finished', { metrics: [{ key: 'train_time_sec', value: 12.5, step: 0 }, { key: 'bad', value: 1, step: 0.5 }] }),
      isCode('TRACKING_INVALID_INPUT'),
    );
    let run = (await store.getRun(runId))!;
    assert.equal(run.status, 'running');
    assert.equal(run.metrics.train_time_sec, undefined, 'nothing of the failed final batch was written');

    clock.advance(5000);
    await store.endRun(runId, 'finished', { metrics: [{ key: 'train_time_sec', value: 12.5, step: 0 }], tags: { [CONFIG_HASH_TAG]: 'h1' } });
    run = (await store.getRun(runId))!;
    assert.equal(run.status, 'finished');
    assert.equal(run.endTime, clock());
    assert.equal(run.metrics.train_time_sec.value, 12.5);
    await assert.rejects(store.logMetrics(runId, [{ key: 'x', value: 1, step: 0 }]), isCode('TRACKING_RUN_NOT_ACTIVE'));
    await assert.rejects(store.endRun(runId, 'failed'), /is finished/);
  });

  test(name('getRun by name finds the newest; findFinishedRun matches the config hash of finished runs only'), async (t) => {
    const clock = fixedClock();
    const { store } = await open(t, { now: clock });
    const exp = await store.getOrCreateExperiment('e');
    const other = await store.getOrCreateExperiment('other');
    const first = await store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1', tags: { [CONFIG_HASH_TAG]: 'aaa', fold: '1' } });
    await store.endRun(first, 'finished');
    clock.advance(1000);
    const failed = await store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1', tags: { [CONFIG_HASH_TAG]: 'bbb' } });
    await store.endRun(failed, 'failed', { error: 'out of memory' });
    clock.advance(1000);
    await store.startRun({ experimentId: other.id, name: 'mlp_c1_fold1' });

    assert.equal((await store.getRun('mlp_c1_fold1', { experiment: exp.id }))?.runId, failed);
    assert.equal((await store.getRun('mlp_c1_fold1', { experiment: 'e' }))?.error, 'out of memory');
    assert.equal((await store.findFinishedRun(exp.id, 'mlp_c1_fold1', 'aaa'))?.runId, first);
    assert.equal(await store.findFinishedRun(exp.id, 'mlp_c1_fold1', 'bbb'), undefined, 'a failed run is never reused');
    assert.equal(await store.findFinishedRun(other.id, 'mlp_c1_fold1', 'aaa'), undefined);

    assert.equal((await store.listRuns({ experiment: 'e' })).length, 2);
    assert.deepEqual((await store.listRuns({ experiment: exp.id, status: 'failed' })).map((r) => r.runId), [failed]);
    assert.deepEqual((await store.listRuns({ status: ['running'] })).map((r) => r.experimentId), [other.id]);
    assert.equal((await store.listRuns({ experiment: 'missing' })).length, 0);
    assert.equal((await store.listRuns({ experiment: exp.id }))[0].tags.fold, '1');
  });

  test(name('a retried run replaces its killed twin unless every attempt is asked for'), async (t) => {
    const clock = fixedClock();
    const { store } = await open(t, { now: clock });
    const exp = await store.getOrCreateExperiment('e');
    const killed = await store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1' });
    await store.endRun(killed, 'killed', { error: 'interrupted' });
    clock.advance(1000);
    const retried = await store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1' });
    await store.logMetrics(retried, [{ key: 'val_acc', value: 0.7, step: 1 }]);
    await store.endRun(retried, 'finished');
    clock.advance(1000);
    const once = await store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold2' });

    const latest = await store.listRuns({ latestAttempts: true, withSeries: true });
    assert.deepEqual(latest.map((r) => [r.runId, r.attempts]), [[retried, 2], [once, 1]]);
    assert.deepEqual(latest[0].series?.val_acc.map((m) => m.value), [0.7], 'series of every listed run in one go');
    assert.deepEqual((await store.listRuns()).map((r) => r.runId), [killed, retried, once]);
  });

  test(name('child runs keep their parent'), async (t) => {
    const { store } = await open(t);
    const exp = await store.getOrCreateExperiment('e');
    const parent = await store.startRun({ experimentId: exp.id, name: 'grid' });
    const child = await store.startRun({ experimentId: exp.id, name: 'mlp_c1_fold1', parentRunId: parent });
    assert.equal((await store.getRun(child))?.parentRunId, parent);
    assert.deepEqual((await store.listRuns({ parentRunId: parent })).map((r) => r.runId), [child]);
    await assert.rejects(store.startRun({ experimentId: exp.id, name: 'x', parentRunId: 'f'.repeat(32) }), /no run with id/);
    await assert.rejects(store.startRun({ experimentId: 999, name: 'x' }), /no experiment with id 999/);
  });

  test(name('a run whose owner stopped renewing its lease is marked killed, on any host; live leases are kept'), async (t) => {
    const clock = fixedClock();
    const { db } = await open(t);
    // Another pod: same pid as ours would mean nothing there, only the lease counts.
    const remote = new SqlTrackingStore(db, { now: clock, host: 'gpu-node-7', pid: process.pid, leaseMs: 60_000 });
    t.after(() => remote.close());
    const exp = await remote.getOrCreateExperiment('e');
    const stale = await remote.startRun({ experimentId: exp.id, name: 'stale' });
    remote.close(); // its owner died: no more heartbeats
    clock.advance(50_000);
    const busy = await remote.startRun({ experimentId: exp.id, name: 'busy' });
    await remote.logMetrics(busy, [{ key: 'train_loss', value: 1, step: 0 }]);
    clock.advance(30_000);

    const local = new SqlTrackingStore(db, { now: clock });
    t.after(() => local.close());
    assert.equal(await local.recoverOrphans(), 1);
    assert.equal((await local.getRun(stale))?.status, 'killed');
    assert.match((await local.getRun(stale))?.error ?? '', /gpu-node-7 .*lease expired/);
    assert.equal((await local.getRun(busy))?.status, 'running');
    assert.equal(await local.recoverOrphans(), 0, 'recovery is idempotent');
  });

  test(name('heartbeats keep a long run alive past its lease'), async (t) => {
    const { db, store } = await open(t, { leaseMs: 150 });
    const exp = await store.getOrCreateExperiment('e');
    const runId = await store.startRun({ experimentId: exp.id, name: 'long' });
    await new Promise((r) => setTimeout(r, 400));
    const other = new SqlTrackingStore(db, { host: 'elsewhere', leaseMs: 150 });
    assert.equal(await other.recoverOrphans(), 0, 'the owner renewed its lease while it lived');
    store.close();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await other.recoverOrphans(), 1, 'once the heartbeats stop, the lease runs out');
    assert.equal((await other.getRun(runId))?.status, 'killed');
  });

  test(name('a run of a SIGKILLed process is marked killed on the next open'), async (t) => {
    const url = await backend.url(t);
    const registryDir = path.join(tempDir(t), 'registry');
    await (await openTestStores(t, url, { registryDir })).close();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/start-run.ts'), url, registryDir], {
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

    // While the owner lives (and renews its lease), opening the stores does not touch its run.
    const live = await openTestStores(t, url, { registryDir });
    assert.equal(live.recoveredRuns, 0);
    assert.equal((await live.tracking.getRun(runId))?.status, 'running');
    await live.close();

    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;

    const stores = await openTestStores(t, url, { registryDir });
    assert.equal(stores.recoveredRuns, 1);
    const run = (await stores.tracking.getRun(runId))!;
    assert.equal(run.status, 'killed');
    assert.match(run.error ?? '', /owner process \d+ .* is gone/);
    assert.equal(run.metrics.train_loss.value, 1.5, 'what the run logged before dying is kept');
  });

  test(name('several processes logging to their own runs at once all succeed'), async (t) => {
    const url = await backend.url(t);
    const dir = tempDir(t);
    const registryDir = path.join(dir, 'registry');
    const goFile = path.join(dir, 'go');
    await (await openTestStores(t, url, { registryDir })).close();
    const workers = 4;
    const epochs = 100;
    let ready = 0;
    const children = Array.from({ length: workers }, (_, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/tracking-worker.ts'), url, registryDir, goFile, `shard${i}`, String(epochs)], {
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

    const stores = await openTestStores(t, url, { registryDir });
    const runs = await stores.tracking.listRuns({ experiment: 'shared', withSeries: true });
    assert.equal(runs.length, workers);
    for (const r of runs) {
      assert.equal(r.status, 'finished');
      assert.equal(r.series?.train_loss.length, epochs);
    }
  });
}
