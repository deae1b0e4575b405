/**
 * A run is recorded when its turn in the resource pool comes: runs still queued when the stage is interrupted
 * never started, so the tracking store does not list them (as killed or otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { StepContext } from '../../../runner/context.ts';
import { ResourcePools } from '../../../runner/pools.ts';
import { trainTracked, type RunRequest } from '../../../steps/train/track-run.ts';
import { openTestStores, sqliteBackend } from '../../helpers/store-backends.ts';
import { tempDir } from '../../helpers/tmp.ts';

test('runs waiting in the pool when the stage is interrupted are not recorded', async (t) => {
  const dir = tempDir(t);
  const stores = await openTestStores(t, await sqliteBackend.url(t), { registryDir: path.join(dir, 'registry') });
  const exp = await stores.tracking.getOrCreateExperiment('e');
  const pools = new ResourcePools({ cpu: 1 }).forResource('cpu');
  const controller = new AbortController();
  const silent = { debug() {}, info() {}, success() {}, warn() {}, error() {}, child: () => silent };
  const ctx = { stores, pools, signal: controller.signal, log: silent } as unknown as StepContext;

  // The only slot is busy until the stage is interrupted.
  let release!: () => void;
  const busy = pools.run(() => new Promise<void>((r) => { release = r; }));
  const request = (name: string) => ({
    experimentId: exp.id, name, architecture: 'linear', entry: { family: 'head', layers: [] }, combination: 'c1', fold: 1,
    params: {}, configHash: 'h', artifactDir: path.join(dir, name), backend: 'cpu', numClasses: 2,
    train: { x: new Float32Array(0), y: new Int32Array(0), n: 0 },
  }) as unknown as RunRequest;
  const queued = [trainTracked(ctx, request('a_fold1')), trainTracked(ctx, request('a_fold2'))];
  controller.abort();
  release();
  await busy;
  for (const r of await Promise.allSettled(queued)) assert.equal(r.status, 'rejected');
  assert.deepEqual(await stores.tracking.listRuns(), [], 'no run was started, so none is recorded');
});
