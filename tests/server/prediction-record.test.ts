/** The monitoring half of a prediction record, and the per-version projection cache the predictor reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PcaProjection } from '../../ml/monitoring/pca.ts';
import { monitoringFields, observeInput } from '../../server/prediction-record.ts';
import { projectionCache } from '../../server/projection-cache.ts';

/** A 4x4 RGB image: left half black, right half white. */
const raw = { width: 4, height: 4, channels: 3, data: Buffer.from(Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? [0, 0, 0] : [255, 255, 255])).flat()) } as unknown as Parameters<typeof observeInput>[0];
const header = { format: 'jpeg', width: 640, height: 480 };
const projection: PcaProjection = { inputDim: 3, dim: 2, mean: [0, 0, 0], components: [[1, 0, 0], [0, 1, 0]], explainedVariance: [1, 1], totalVariance: 3 } as unknown as PcaProjection;

test('monitoring on: every statistic, the output summary and the projected features; off: the four basic ones', () => {
  const full = monitoringFields(observeInput(raw, header, 12345), [2, 0, 0], [0.5, -1, 9], projection);
  assert.equal(full.imageFormat, 'jpeg');
  assert.equal(full.imageBytes, 12345);
  assert.deepEqual(full.embedding, [0.5, -1]);
  const s = full.inputStats!;
  assert.equal(s.brightness, 0.5);
  assert.equal(s.meanBrightness, 0.5);
  assert.equal(s.darkShare, 0.5);
  assert.equal(s.brightShare, 0.5);
  assert.equal(s.width, 640);
  const p1 = Math.exp(2) / (Math.exp(2) + 2);
  assert.ok(Math.abs(s.top1Prob! - p1) < 1e-5);
  assert.ok(Math.abs(s.margin! - (p1 - 1 / (Math.exp(2) + 2))) < 1e-5);
  assert.ok(s.entropy! > 0);
  // A features vector of another size than the projection expects logs no embedding rather than a wrong one.
  assert.equal(monitoringFields(observeInput(raw, header, 1), [1, 0], [1, 2], projection).embedding, null);
  const basic = monitoringFields(observeInput(raw, header, 99, false), [1, 0], [1, 2, 3], projection);
  assert.deepEqual(Object.keys(basic.inputStats!).sort(), ['contrast', 'height', 'meanBrightness', 'width']);
  assert.equal(basic.embedding, null);
  assert.equal(basic.imageBytes, 99);
});

test('projection cache: one store read per version, null until it answers, a missing profile asked again later', async () => {
  const reads: string[] = [];
  const profiles: Record<string, unknown> = { 'm@1': { projection, outOfScope: { threshold: 3 } } };
  const lookup = projectionCache({ getProfile: async (n, v) => (reads.push(`${n}@${v}`), profiles[`${n}@${v}`] ?? null) }, { retryMs: 0 });
  assert.equal(lookup('m', 1), null, 'not read yet');
  assert.equal(lookup('m', 1), null, 'read in flight: no second read');
  await new Promise((r) => setImmediate(r));
  assert.equal(lookup('m', 1), projection);
  assert.deepEqual(lookup.outOfScope('m', 1), { threshold: 3 });
  assert.equal(lookup('m', 2), null);
  await new Promise((r) => setImmediate(r));
  profiles['m@2'] = { projection };
  assert.equal(lookup('m', 2), null, 'asked again (retryMs 0), answer pending');
  await new Promise((r) => setImmediate(r));
  assert.equal(lookup('m', 2), projection);
  assert.deepEqual(reads, ['m@1', 'm@2', 'm@2']);
});
