/**
 * The model cache: two slots on one (name, version, sha256) share one loaded model (one worker, one batcher), and
 * it is disposed only when the last slot lets go of it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ModelCache } from '../../server/model-cache.ts';
import { ModelHolder } from '../../server/model-holder.ts';
import { loadModel, type LoadedModel } from '../../server/model-loader.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tinyVersion } from './fixtures.ts';

test('two slots on one version share one model; the last release disposes it', async (t) => {
  const v = tinyVersion(path.join(tempDir(t), 'v1'), 1, ['a', 'b'], 0);
  let loads = 0;
  const disposed: LoadedModel[] = [];
  const cache = new ModelCache(async (m) => {
    loads++;
    const model = await loadModel(m, { intraOpNumThreads: 1, idleIntraOpNumThreads: 1, inferenceThread: 'main', maxBatch: 2, maxWaitMs: 0, inferenceTimeoutMs: 5000 });
    return { ...model, dispose: async () => (disposed.push(model), model.dispose()) } as LoadedModel;
  });
  const holder = new ModelHolder(undefined, (m) => cache.release(m));
  const resolved = { name: 'food101', version: 1, alias: null, dir: v.dir, modelFile: v.modelFile, sha256: v.sha256 };
  const [a, b] = await Promise.all([cache.acquire({ ...resolved, alias: 'champion' }), cache.acquire(resolved)]);
  holder.install('champion', a);
  holder.install('v1', b);
  assert.equal(loads, 1, 'loaded once');
  assert.equal(a.batcher, b.batcher, 'one batcher');
  assert.equal(cache.refs(a), 2);
  const lease = holder.acquire('v1')!;
  holder.remove('v1');
  lease.release();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(disposed.length, 0, 'still serving the champion slot');
  assert.equal(cache.refs(a), 1);
  await holder.close();
  assert.equal(disposed.length, 1, 'disposed with the last slot');
  assert.equal(cache.size, 0);
});
