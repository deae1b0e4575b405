/**
 * The per-bucket summary computed in the database equals the same summary computed in JavaScript from every row
 * (counts, errors, mean confidence, interpolated p50/p95/p99), on both backends; shadow rows and other models are
 * left out, empty buckets are absent, and bad bounds are refused by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, openClient } from '../helpers/store-backends.ts';
import { SqlPredictionLog, type PredictionRecord } from '../../stores/prediction-log.ts';
import { quantile } from '../../server/dashboard/store-panels.ts';
import { readHistory } from '../../server/dashboard/history.ts';
import type { DashboardDeps } from '../../server/dashboard/ports.ts';
import { mulberry32 } from '../../ml/random.ts';

const FROM = 1_700_000_040_000;
const BUCKET = 60_000;

function rows(seed: number): PredictionRecord[] {
  const rnd = mulberry32(seed);
  const out: PredictionRecord[] = [];
  // Buckets 0, 1 and 3 have traffic (2 is empty); bucket sizes 1, 2, 20, 37 and 101 exercise the rank edges.
  const sizes = [[0, 37], [1, 101], [3, 20], [4, 1], [5, 2]] as const;
  let n = 0;
  for (const [b, size] of sizes) {
    for (let i = 0; i < size; i++) {
      const error = rnd() < 0.1;
      out.push({
        requestId: `r${n++}`, ts: FROM + b * BUCKET + Math.floor(rnd() * BUCKET), modelName: 'food101', modelVersion: 1, alias: 'champion',
        variant: rnd() < 0.2 ? 'canary' : 'stable', topK: error ? [] : [{ id: 0, class: 'pizza', prob: Math.round(rnd() * 1000) / 1000 }],
        latencyMs: Math.round(rnd() * 400 * 100) / 100, imageSha256: null, inputStats: null, errorCode: error ? 'TIMEOUT' : null,
      });
    }
  }
  // Not traffic of this chart: mirrored requests, another model, and rows outside the range.
  out.push({ ...out[0]!, requestId: 'shadow-0', variant: 'shadow', latencyMs: 99_999 });
  out.push({ ...out[1]!, requestId: 'other-0', modelName: 'other', latencyMs: 99_999 });
  out.push({ ...out[2]!, requestId: 'late-0', ts: FROM + 6 * BUCKET, latencyMs: 99_999 });
  out.push({ ...out[3]!, requestId: 'early-0', ts: FROM - 1, latencyMs: 99_999 });
  return out;
}

for (const backend of backends) {
  test(`${backend.name}: buckets computed in SQL equal the row-by-row summary`, async (t) => {
    const log = new SqlPredictionLog(await openClient(t, await backend.url(t)));
    const all = rows(7);
    await log.append(all);
    const got = await log.buckets({ modelName: 'food101', fromTs: FROM, toTs: FROM + 6 * BUCKET, bucketMs: BUCKET });
    assert.deepEqual(got.map((b) => b.index), [0, 1, 3, 4, 5]);
    for (const b of got) {
      const mine = all.filter((r) => r.modelName === 'food101' && r.variant !== 'shadow' && r.ts >= FROM + b.index * BUCKET && r.ts < FROM + (b.index + 1) * BUCKET);
      const ok = mine.filter((r) => !r.errorCode).map((r) => r.latencyMs).sort((x, y) => x - y);
      const probs = mine.flatMap((r) => r.topK.slice(0, 1).map((c) => c.prob));
      assert.equal(b.requests, mine.length, `bucket ${b.index} requests`);
      assert.equal(b.errors, mine.filter((r) => r.errorCode).length, `bucket ${b.index} errors`);
      const close = (a: number | null, e: number | null, what: string) =>
        e === null ? assert.equal(a, null, what) : assert.ok(a !== null && Math.abs(a - e) < 1e-6, `${what}: ${a} vs ${e}`);
      close(b.meanConfidence, probs.length ? probs.reduce((x, y) => x + y, 0) / probs.length : null, `bucket ${b.index} confidence`);
      close(b.p50, quantile(ok, 0.5), `bucket ${b.index} p50`);
      close(b.p95, quantile(ok, 0.95), `bucket ${b.index} p95`);
      close(b.p99, quantile(ok, 0.99), `bucket ${b.index} p99`);
    }
    // The dashboard's hour: 60 one-minute buckets from FROM (a whole minute), the empty ones included.
    const h = await readHistory({ predictions: log, modelName: 'food101' } as unknown as DashboardDeps, '1h', true, FROM + 59 * BUCKET + 1);
    assert.equal(h.from, FROM);
    assert.equal(h.buckets!.length, 60);
    assert.equal(h.rows, got.reduce((n, b) => n + b.requests, 0) + 1, 'the row of minute 6 is inside the hour');
    assert.equal(h.buckets![2]!.requestsPerSec, 0);
    assert.equal(h.buckets![2]!.p99, null);
    assert.equal(h.buckets![1]!.requestsPerSec, got[1]!.requests / 60);
    await assert.rejects(log.buckets({ modelName: 'food101', fromTs: FROM + 0.5, toTs: FROM + BUCKET, bucketMs: BUCKET }), /fromTs must be a whole number/);
    await assert.rejects(log.buckets({ modelName: 'food101', fromTs: FROM, toTs: FROM, bucketMs: BUCKET }), /toTs > fromTs/);
  });
}
