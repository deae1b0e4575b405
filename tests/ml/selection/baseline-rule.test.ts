import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyBaselineRule, baselineMetric } from '../../../ml/selection/baseline-rule.ts';

const probe = { architecture: 'probe', runId: 'r-probe', cv: { accuracy: 0.74, macro_f1: 0.72, log_loss: 0.80 } };
const mlp = { architecture: 'mlp', runId: 'r-mlp', cv: { accuracy: 0.76, macro_f1: 0.71, log_loss: 0.85 } };

test('a pick that beats the probe on CV keeps the win; the margin is winner - probe', () => {
  const { winner, verdict } = applyBaselineRule(mlp, [mlp, probe], 'probe', 'cv.accuracy');
  assert.equal(winner, mlp);
  assert.equal(verdict!.baselineWon, false);
  assert.ok(Math.abs(verdict!.margin - 0.02) < 1e-12);
});

test('a pick that does not beat the probe on CV (worse, or tied) loses to it', () => {
  assert.equal(applyBaselineRule(mlp, [mlp, probe], 'probe', 'cv.macro_f1').winner, probe);
  const tied = { ...mlp, cv: { ...mlp.cv, accuracy: 0.74 } };
  const r = applyBaselineRule(tied, [tied, probe], 'probe', 'cv.accuracy');
  assert.deepEqual([r.winner.architecture, r.verdict!.baselineWon, r.verdict!.margin], ['probe', true, 0]);
  // losses: lower is better, so mlp's higher CV log loss does not beat the probe
  assert.equal(applyBaselineRule(mlp, [mlp, probe], 'probe', 'cv.log_loss').winner, probe);
});

test('a test-picked winner is held to the CV metric of the same key, never to test', () => {
  assert.equal(baselineMetric('test.macro_f1', [mlp, probe]), 'cv.macro_f1');
  assert.equal(baselineMetric('test.roc_auc_macro', [mlp, probe]), 'cv.accuracy');
  const withTest = [{ ...mlp, test: { macro_f1: 0.99 } }, { ...probe, test: { macro_f1: 0.10 } }];
  assert.equal(applyBaselineRule(withTest[0]!, withTest, 'probe', 'test.macro_f1').winner.architecture, 'probe');
});

test('no baseline: the pick stands; an unknown baseline is an error naming the evaluated ones', () => {
  assert.deepEqual(applyBaselineRule(mlp, [mlp, probe], null, 'cv.accuracy'), { winner: mlp });
  assert.equal(applyBaselineRule(probe, [mlp, probe], 'probe', 'cv.accuracy').verdict!.margin, 0);
  assert.throws(() => applyBaselineRule(mlp, [mlp, probe], 'linear', 'cv.accuracy'),
    /baseline 'linear' is not among the evaluated architectures \(mlp, probe\)/);
});
