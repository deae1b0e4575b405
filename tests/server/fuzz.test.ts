/**
 * Property: whatever image arrives (six formats, 1 to 20,000 px per side, truncated, bit-flipped or padded), the
 * answer is 2xx or 4xx, within the deadline, the process stays within its memory budget, and /health answers
 * after. Fixed seed and a bounded count here; `scripts/fuzz-serve.ts` runs longer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { configureSharp } from '../../ml/preprocess/index.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { fuzzCase, makeImage } from './fuzz-images.ts';
import { IMAGENET_SPEC, postFiles, startTestApp, tinyClassifier, writeModelDir } from './fixtures.ts';

const DEADLINE_MS = 5000;
const RSS_BUDGET_MB = 500;
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

test(`fuzz: ${RUNS} random images (seed ${SEED}) get 2xx/4xx within the deadline, RSS < ${RSS_BUDGET_MB} MB`, async (t) => {
  configureSharp(); // as the serving process does (steps/serve/run.ts): no operation cache, one thread per image
  const v = writeModelDir(tempDir(t, 'f101-fuzz-'), 1, { model: tinyClassifier([0, 2, 1], 224), labels: ['a', 'b', 'c'], spec: IMAGENET_SPEC });
  const { url } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), deadlineMs: DEADLINE_MS });
  const seen = new Map<number, number>();
  let peakRss = 0;
  await fc.assert(
    fc.asyncProperty(fuzzCase, async (c) => {
      const bytes = await makeImage(c);
      if (bytes.length === 0) return; // a truncation to nothing is the empty-file case, tested elsewhere
      const t0 = performance.now();
      const res = await postFiles(`${url}/predict`, [{ field: 'file', data: bytes, filename: `fuzz.${c.format}` }]);
      const ms = performance.now() - t0;
      const rss = process.memoryUsage().rss / 1e6;
      peakRss = Math.max(peakRss, rss);
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      const what = `${c.format} ${c.width}x${c.height} ${c.corruption.kind} (${bytes.length} bytes)`;
      assert.ok(res.status >= 200 && res.status < 500, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body, 'object', `${what}: JSON body`);
      assert.ok(ms < DEADLINE_MS, `${what}: ${ms.toFixed(0)} ms`);
      assert.ok(rss < RSS_BUDGET_MB, `${what}: RSS ${rss.toFixed(0)} MB`);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  assert.equal((await fetch(`${url}/health`)).status, 200);
  t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries(seen))}, peak RSS ${peakRss.toFixed(0)} MB`);
  // The generator reaches both sides: some served, some refused.
  assert.ok((seen.get(200) ?? 0) > 0 && [...seen.keys()].some((s) => s >= 400));
});
