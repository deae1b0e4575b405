/**
 * Hot swaps do not leak: RSS over 30 more swaps stays within a bound of what it was after a warm-up. Each swap
 * used to leave a 24 MB SharedArrayBuffer (the version's own tensor pool) for V8 to free whenever it got round to
 * it: ~190 MB over the first 30 swaps. The pool is now the app's, shared by every version.
 * The warm-up is 40 swaps: each load starts two inference workers (threads), and glibc gives each new thread a
 * malloc arena of its own, kept and reused after the thread exits; their retained memory grows over the first
 * ~40 swaps and then stays (measured over 80: 351 MB at 10, 456 at 40, 441-454 from 50 to 80, peak 476).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../../server/app.ts';
import { memoryLogger } from '../../server/logger.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { backboneVersion } from './fixtures.ts';

test('30 hot swaps of the backbone after 40: RSS grows by less than 80 MB, one tensor pool throughout', async (t) => {
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
  for (let i = 1; i <= 40; i++) await swap(i);
  const warm = rss();
  let peak = warm;
  for (let i = 41; i <= 70; i++) {
    await swap(i);
    peak = Math.max(peak, rss());
  }
  assert.equal(serve.holder.current('champion')!.tensorPool, pool, 'every version uses the app pool');
  assert.ok(peak - warm < 80, `RSS ${warm.toFixed(0)} MB after 40 swaps, peak ${peak.toFixed(0)} MB over the next 30`);
});
