/**
 * Hot swaps do not leak: RSS after 30 swaps stays within a bound of what it was after the first few. Each swap
 * used to leave a 24 MB SharedArrayBuffer (the version's own tensor pool) for V8 to free whenever it got round to
 * it: ~190 MB over the first 30 swaps. The pool is now the app's, shared by every version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../../server/app.ts';
import { memoryLogger } from '../../server/logger.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { backboneVersion } from './fixtures.ts';

test('30 hot swaps of the backbone: RSS grows by less than 80 MB after warm-up, one tensor pool throughout', async (t) => {
  const one = backboneVersion(t, 1);
  const source = staticModelSource('food101', [one, { ...one, version: 2 }], { champion: 1 });
  const serve = createApp({ modelName: 'food101', source, pollMs: 0, defaultMetrics: false, logger: memoryLogger() });
  t.after(() => serve.close());
  await serve.loaded;
  const pool = serve.holder.current('champion')!.tensorPool;
  const rss = () => process.memoryUsage().rss / 1e6;
  const swap = async (i: number) => {
    source.setAlias('champion', (i % 2) + 1);
    await serve.checkModels();
    assert.equal(serve.holder.current('champion')!.version, (i % 2) + 1);
  };
  for (let i = 1; i <= 4; i++) await swap(i);
  const warm = rss();
  let peak = warm;
  for (let i = 5; i <= 30; i++) {
    await swap(i);
    peak = Math.max(peak, rss());
  }
  assert.equal(serve.holder.current('champion')!.tensorPool, pool, 'every version uses the app pool');
  assert.ok(peak - warm < 80, `RSS ${warm.toFixed(0)} MB after 4 swaps, peak ${peak.toFixed(0)} MB over the next 26`);
});
