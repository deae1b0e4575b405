/**
 * The experiment summary: what the aggregate stage writes to `outputs/metrics/summary.json` and what the report
 * renders. Plain JSON throughout (no NaN, no typed arrays); absent values are `null`.
 */
import type { PerClassMetrics, TestMetrics } from '../metrics/classification.ts';
import type { ProportionInterval } from '../monitoring/wilson.ts';
import type { BaselineVerdict } from '../selection/baseline-rule.ts';
import type { CvMeans, CvMetrics } from '../selection/cv-metrics.ts';
import type { Selection } from '../selection/types.ts';

export type { PerClassMetrics, TestMetrics } from '../metrics/classification.ts';

/** One architecture's pick (its best combination's best fold) evaluated on the test split. */
export type ArchitectureEvaluation = {
  architecture: string;
  combination: string;
  /** The run whose model was evaluated. */
  runId: string;
  /** Fold means of the combination's validation metrics (`cv.<key>`); with std in `Summary.crossValidation`. */
  cv: CvMeans;
  test: TestMetrics;
  per_class: PerClassMetrics[];
  /** Rows = true class, columns = predicted, in the order of `Summary.classes`. */
  confusion: number[][];
};

/** The overall winner, and the model that goes on to export and registration. */
export type Winner = {
  architecture: string;
  combination: string;
  params: Record<string, unknown>;
  /** The run whose model is exported: the refit run when `refit`, else `sourceRunId`. */
  runId: string;
  /** The selected best-fold run the winner comes from. */
  sourceRunId: string;
  /** True when the winning configuration was retrained on the whole training split (all folds) before testing. */
  refit: boolean;
  /**
   * How it won: the metric name (`cv.accuracy`), its direction and the value that decided. `onTest` is true when
   * the metric is a test metric, i.e. the test split chose the winner and its test score is optimistic.
   * `baselineRule` is set when the pick did not beat the baseline on CV and the baseline won instead.
   */
  selectedBy: { metric: string; higherIsBetter: boolean; value: number; onTest: boolean; baselineRule: boolean };
  /** Fold means of the winning configuration's validation metrics; `cv.<key>` metric names address these. */
  cv: CvMeans;
  /** Test metrics of the model in `runId`; `test.<key>` metric names address these keys. */
  test: TestMetrics;
  /** 95% Wilson score interval of the test accuracy: how far a score on this many photos can move by luck. */
  testAccuracyInterval: ProportionInterval;
  /** Temperature scaling fitted on the out-of-fold validation logits; `null` when calibration is off. */
  calibration: Calibration | null;
  per_class: PerClassMetrics[];
  confusion: number[][];
};

/** Image files, as paths relative to the directory of `report.md` (so the Markdown links work where it sits). */
export type Plots = {
  /** Train/val loss and accuracy per epoch, one image per run. */
  trainingCurves: { runId: string; name: string; path: string }[];
  /** Test confusion matrices: one per evaluated architecture pick, and the winner's (runId = winner.runId). */
  confusion: { architecture: string; runId: string; path: string }[];
};

/** Temperature scaling of the winner and its effect on the test split (the exported model divides by T). */
export type Calibration = {
  temperature: number;
  /** Out-of-fold validation rows T was fitted on. */
  fittedOn: number;
  bins: number;
  /** On test, before (T = 1) and after scaling. */
  ece: { before: number; after: number };
  nll: { before: number; after: number };
};

/** The linear-probe baseline and the winner's margin over it (winner - baseline; > 0: the winner is better). */
export type BaselineComparison = {
  architecture: string;
  combination: string;
  /** The model whose test score is shown: the baseline's refit when the winner was refit, else its best fold. */
  runId: string;
  cv: CvMeans;
  test: TestMetrics;
  margin: { cv_accuracy: number; cv_macro_f1: number; test_accuracy: number; test_macro_f1: number };
  /** How the rule compared the pick with the baseline. */
  verdict: BaselineVerdict;
};

export type Summary = {
  /** Experiment name, derived from the dataset version (e.g. `food101-mini_13c_tr75_te25_<hash8>`). */
  experiment: string;
  datasetVersion: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** Class names in label-index order. */
  classes: string[];
  selection: Selection;
  /** CV metrics of every candidate, keyed `<architecture>_<combination>`. */
  crossValidation: Record<string, CvMetrics>;
  /** One per architecture pick, in `selection.perArchitecture` order. */
  evaluations: ArchitectureEvaluation[];
  winner: Winner;
  /** `null` when no baseline is configured (aggregate.baseline). */
  baseline: BaselineComparison | null;
  plots: Plots;
};

/**
 * The value a metric name addresses in a summary: `test.accuracy` -> `summary.winner.test.accuracy`.
 * Returns `null` for a metric that is defined but has no value (e.g. `test.roc_auc_macro` without any AUC).
 *
 * @throws Error naming the available metrics when the name addresses nothing.
 */
export function summaryMetric(summary: Pick<Summary, 'winner'>, name: string): number | null {
  const test = summary.winner.test as Record<string, number | null>;
  const key = name.startsWith('test.') ? name.slice('test.'.length) : undefined;
  if (key === undefined || !Object.hasOwn(test, key)) {
    const available = Object.keys(test).map((k) => `test.${k}`).join(', ');
    throw new Error(`unknown metric "${name}"; available: ${available}`);
  }
  return test[key] ?? null;
}
