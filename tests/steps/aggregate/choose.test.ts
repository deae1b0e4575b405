import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../../../ml/metrics/classification.ts';
import type { CvMetrics } from '../../../ml/selection/cv-metrics.ts';
import type { ArchitecturePick } from '../../../ml/selection/types.ts';
import { chooseWinner } from '../../../steps/aggregate/choose.ts';
import type { CandidateCv } from '../../../steps/aggregate/cross-validate.ts';

const pick = (architecture: string): ArchitecturePick => ({
  architecture, combination: 'c1', params: {}, score: 1, gapFilterRelaxed: false,
  bestRun: { runId: `r-${architecture}`, name: `${architecture}_c1_fold1`, fold: 1, final: { train_loss: 0.1, train_acc: 1, val_loss: 0.9, val_acc: 0.7 } },
});
const cvOf = (accuracy: number): CandidateCv => {
  const m = (mean: number) => ({ mean, std: 0.01 });
  const metrics: CvMetrics = { accuracy: m(accuracy), macro_f1: m(accuracy - 0.01), log_loss: m(1 - accuracy), folds: 3 };
  return { metrics, folds: [] };
};
// CV prefers mlp (0.78 vs 0.74); the test split would prefer the probe (1/1 correct vs 0/1).
const cv = new Map([['mlp_c1', cvOf(0.78)], ['probe_c1', cvOf(0.74)]]);
const classes = ['a', 'b'];
const testSplit = (architecture: string) => ({ report: evaluate({ logits: architecture === 'probe' ? [1, 0] : [0, 1], y: [0], classes }), logits: new Float32Array(2), y: new Int32Array(1) });

test('winner_by cv.*: the test split is never evaluated to choose, and CV picks against test', async () => {
  const asked: string[] = [];
  const c = await chooseWinner([pick('mlp'), pick('probe')], cv, 'cv.accuracy', 'probe', async (p) => {
    asked.push(p.architecture);
    return testSplit(p.architecture);
  });
  assert.deepEqual(asked, []);
  assert.equal(c.winner.architecture, 'mlp');
  assert.deepEqual(c.selectedBy, { metric: 'cv.accuracy', higherIsBetter: true, value: 0.78, onTest: false, baselineRule: false });
  assert.ok(Math.abs(c.verdict!.margin - 0.04) < 1e-12);
  assert.ok(c.picks.every((p) => p.test === undefined));
});

test('winner_by test.*: the picks are evaluated on test and the choice is marked as made on test', async () => {
  const asked: string[] = [];
  const c = await chooseWinner([pick('mlp'), pick('probe')], cv, 'test.accuracy', null, async (p) => {
    asked.push(p.architecture);
    return testSplit(p.architecture);
  });
  assert.deepEqual(asked, ['mlp', 'probe']);
  assert.equal(c.winner.architecture, 'probe');
  assert.equal(c.selectedBy.onTest, true);
});

test('the baseline rule overrides a test pick that is worse than the probe on CV', async () => {
  const c = await chooseWinner([pick('mlp'), pick('probe')], new Map([['mlp_c1', cvOf(0.70)], ['probe_c1', cvOf(0.74)]]), 'test.accuracy', 'probe',
    async (p) => testSplit(p.architecture === 'probe' ? 'mlp' : 'probe'));
  assert.equal(c.winner.architecture, 'probe');
  assert.deepEqual(c.selectedBy, { metric: 'cv.accuracy', higherIsBetter: true, value: 0.74, onTest: false, baselineRule: true });
});
