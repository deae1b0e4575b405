/** One metric against its threshold: a relative threshold needs enough observations on both variants. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkMetric } from '../../rollouts/analysis.ts';
import type { VariantSummary } from '../../rollouts/types.ts';

const summary = (variant: string, labelled: number, correct: number): VariantSummary => ({
  variant, requests: labelled, errors: 0, errorRate: 0, latencyP99Ms: 10, meanConfidence: 0.7, labelled, correct,
  feedbackAccuracy: labelled ? correct / labelled : null, paired: 0, agreement: null,
});

test('feedback accuracy relative to stable: inconclusive while the stable variant has too few labels, and says so', () => {
  const m = { metric: 'feedback_accuracy' as const, min_delta_to_stable: -0.05, min_samples: 20 };
  const early = checkMetric(m, summary('canary', 29, 25), summary('stable', 10, 6));
  assert.equal(early.verdict, 'inconclusive');
  assert.deepEqual([early.samples, early.stableSamples], [29, 10]);
  const pass = checkMetric(m, summary('canary', 29, 25), summary('stable', 25, 18));
  assert.equal(pass.verdict, 'pass');
  assert.equal(checkMetric(m, summary('canary', 29, 2), summary('stable', 25, 18)).verdict, 'fail');
  // An absolute threshold does not look at the stable variant.
  const absolute = checkMetric({ metric: 'error_rate', max: 0.01, min_samples: 5 }, summary('canary', 10, 0), summary('stable', 0, 0));
  assert.equal(absolute.verdict, 'pass');
  assert.equal(absolute.stableSamples, undefined);
});
