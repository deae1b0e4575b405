import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cvMeans, cvMetrics } from '../../../ml/selection/cv-metrics.ts';

test('CV metrics are each fold scored on its own, then averaged (mean, sample std)', () => {
  const classes = ['a', 'b'];
  // fold 1: 2 of 2 right (macro-F1 1); fold 2: predicts a for both rows a, b -> accuracy 1/2, F1(a) 2/3, F1(b) 0
  const m = cvMetrics([
    { fold: 1, logits: Float32Array.from([2, 0, 0, 2]), y: Int32Array.from([0, 1]) },
    { fold: 2, logits: Float32Array.from([2, 0, 2, 0]), y: Int32Array.from([0, 1]) },
  ], classes);
  assert.equal(m.folds, 2);
  assert.equal(m.accuracy.mean, 0.75);
  assert.ok(Math.abs(m.accuracy.std - Math.SQRT1_2 / 2) < 1e-12); // values 1, 0.5
  assert.ok(Math.abs(m.macro_f1.mean - (1 + 1 / 3) / 2) < 1e-12);
  const nll = Math.log(1 + Math.exp(-2));
  assert.ok(Math.abs(m.log_loss.mean - (nll + (nll + (2 + nll)) / 2) / 2) < 1e-9);
  assert.deepEqual(Object.keys(cvMeans(m)), ['accuracy', 'macro_f1', 'log_loss']);
  assert.throws(() => cvMetrics([], classes), /no folds/);
});
