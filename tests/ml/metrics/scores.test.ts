import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, softmax, topK } from '../../../ml/metrics/scores.ts';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('softmax: rows sum to 1 and match exp(z)/sum exp(z)', () => {
  // row 0: [0, ln 3] -> exp = [1, 3] -> [0.25, 0.75]; row 1: [0, 0] -> [0.5, 0.5]
  const p = softmax([0, Math.log(3), 0, 0], 2);
  assert.ok(p instanceof Float32Array);
  [0.25, 0.75, 0.5, 0.5].forEach((v, i) => close(p[i]!, v));
});

test('softmax: large logits do not overflow (max is subtracted first)', () => {
  // [1000, 1000] would give Infinity/Infinity = NaN without the shift; [1000, 0] -> [1, e^-1000 = 0]
  const p = softmax(new Float32Array([1000, 1000, 1000, 0]), 2);
  assert.deepEqual([...p], [0.5, 0.5, 1, 0]);
});

test('softmax: a length that is not a multiple of C is an error', () => {
  assert.throws(() => softmax([1, 2, 3], 2), /3 values, not a multiple of 2 classes/);
});

test('argmax: per row, ties to the lowest class index', () => {
  // row 0: max at 2; row 1: 0.5 at 0 and 1 -> 0; row 2: all equal -> 0
  assert.deepEqual([...argmax([0.1, 0.2, 0.7, 0.5, 0.5, 0, 1, 1, 1], 3)], [2, 0, 0]);
});

test('topK: best first, ties to the lower index, k capped at C', () => {
  const rows = topK([0.1, 0.4, 0.4, 0.1], 4, 3);
  assert.deepEqual(rows[0]!.map((r) => r.index), [1, 2, 0]);
  assert.equal(topK([0.3, 0.7], 2, 5)[0]!.length, 2);
  assert.throws(() => topK([1], 1, 0), /k must be a positive integer/);
});
