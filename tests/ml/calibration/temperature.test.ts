import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eceAt, fitTemperature, nllAt, topConfidence } from '../../../ml/calibration/temperature.ts';
import { mulberry32 } from '../../../ml/random.ts';

const C = 4;

/**
 * A calibrated set by construction: each row's class is drawn from softmax(base logits), so softmax(base) is the
 * true class probability. Multiplying the logits by 3 makes the model overconfident: T = 3 undoes it.
 */
function overconfident(n: number, seed: number, factor: number): { logits: Float32Array; y: Int32Array } {
  const rand = mulberry32(seed);
  const logits = new Float32Array(n * C);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = Array.from({ length: C }, () => (rand() - 0.5) * 3);
    const z = base.reduce((s, v) => s + Math.exp(v), 0);
    let u = rand() * z;
    let k = 0;
    while (k < C - 1 && (u -= Math.exp(base[k]!)) > 0) k++;
    y[i] = k;
    base.forEach((v, c) => (logits[i * C + c] = v * factor));
  }
  return { logits, y };
}

test('the temperature fitted on an overconfident set is near its factor and lowers NLL and ECE on fresh rows', () => {
  const fit = overconfident(4000, 1, 3);
  const T = fitTemperature(fit.logits, fit.y, C);
  assert.ok(Math.abs(T - 3) < 0.3, `T = ${T}, expected about 3`);
  const fresh = overconfident(4000, 2, 3);
  assert.ok(nllAt(fresh.logits, fresh.y, C, T) < nllAt(fresh.logits, fresh.y, C, 1) - 0.1);
  const before = eceAt(fresh.logits, fresh.y, C, 1), after = eceAt(fresh.logits, fresh.y, C, T);
  assert.ok(before > 0.15 && after < 0.04, `ECE ${before} -> ${after}`);
});

test('an underconfident set gets T < 1; the fitted T is the NLL minimum', () => {
  const set = overconfident(3000, 3, 0.5);
  const T = fitTemperature(set.logits, set.y, C);
  assert.ok(T < 0.65 && T > 0.4, `T = ${T}`);
  const at = nllAt(set.logits, set.y, C, T);
  for (const f of [0.9, 1.1]) assert.ok(nllAt(set.logits, set.y, C, T * f) > at);
});

test('temperature does not change the arg-max; confidences are softmax(logits / T)', () => {
  const logits = [2, 0, 0, 0, 0, 1, 0, 0];
  const y = [0, 2];
  const hot = topConfidence(logits, y, C, 1), cool = topConfidence(logits, y, C, 2);
  assert.deepEqual(hot.correct, [true, false]);
  assert.deepEqual(cool.correct, hot.correct);
  assert.ok(Math.abs(hot.confidence[0]! - Math.exp(2) / (Math.exp(2) + 3)) < 1e-12);
  assert.ok(Math.abs(cool.confidence[0]! - Math.exp(1) / (Math.exp(1) + 3)) < 1e-12);
  // NLL of row 2 at T = 1: log(e + 3) - 0
  assert.ok(Math.abs(nllAt(logits.slice(4), [2], C, 1) - Math.log(Math.E + 3)) < 1e-12);
  assert.throws(() => fitTemperature([1, 2, 3], [0], C), /3 logits for 1 rows of 4 classes/);
});
