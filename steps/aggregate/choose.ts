/**
 * The choice of the winner among the per-architecture picks. With a `cv.*` metric only the validation folds are
 * read; the test split is evaluated afterwards, for the report. With a `test.*` metric (the original project's
 * choice) the picks are evaluated on test first, and the summary marks the selection as made on test.
 */
import { testMetrics } from '../../ml/metrics/classification.ts';
import { applyBaselineRule, type BaselineVerdict } from '../../ml/selection/baseline-rule.ts';
import { cvMeans, type CvMeans } from '../../ml/selection/cv-metrics.ts';
import { parseMetric, pickWinner } from '../../ml/selection/pick-winner.ts';
import type { ArchitecturePick } from '../../ml/selection/types.ts';
import type { TestMetrics } from '../../ml/report/summary.ts';
import { candidateKey, type CandidateCv } from './cross-validate.ts';
import type { TestEvaluation } from './evaluate-model.ts';

export type PickScores = { architecture: string; combination: string; runId: string; pick: ArchitecturePick; cv: CvMeans; test?: TestMetrics };

export type Choice = {
  picks: PickScores[];
  winner: PickScores;
  selectedBy: { metric: string; higherIsBetter: boolean; value: number; onTest: boolean; baselineRule: boolean };
  verdict?: BaselineVerdict;
};

/**
 * Chooses the winner. `evaluateTest` is called for a pick's best-fold run only when `winnerBy` is a test metric;
 * the caller evaluates the rest on test after the choice.
 */
export async function chooseWinner(
  perArchitecture: readonly ArchitecturePick[],
  cv: ReadonlyMap<string, CandidateCv>,
  winnerBy: string,
  baseline: string | null,
  evaluateTest: (pick: ArchitecturePick) => Promise<TestEvaluation>,
): Promise<Choice> {
  const picks: PickScores[] = perArchitecture.map((p) => ({
    architecture: p.architecture, combination: p.combination, runId: p.bestRun.runId, pick: p, cv: cvMeans(cv.get(candidateKey(p))!.metrics),
  }));
  const onTest = parseMetric(winnerBy)?.scope === 'test';
  if (onTest) for (const p of picks) p.test = testMetrics((await evaluateTest(p.pick)).report);
  const picked = pickWinner(picks, winnerBy);
  const { winner, verdict } = applyBaselineRule(picked.winner, picks, baseline, winnerBy);
  const baselineRule = winner !== picked.winner;
  return {
    picks,
    winner,
    selectedBy: {
      metric: baselineRule ? verdict!.metric : winnerBy,
      higherIsBetter: baselineRule ? !verdict!.metric.endsWith('loss') : picked.higherIsBetter,
      value: baselineRule ? verdict!.baselineValue : picked.value,
      onTest: onTest && !baselineRule,
      baselineRule,
    },
    verdict,
  };
}
