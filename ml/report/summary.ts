/**
 * The experiment summary: what the aggregate stage writes to `outputs/metrics/summary.json` and what the report
 * renders. Plain JSON throughout (no NaN, no typed arrays); absent values are `null`.
 */
import type { PerClassMetrics, TestMetrics } from '../metrics/classification.ts';
import type { Selection } from '../selection/types.ts';

export type { PerClassMetrics, TestMetrics } from '../metrics/classification.ts';

/** One architecture's pick (its best combination's best fold) evaluated on the test split. */
export type ArchitectureEvaluation = {
  architecture: string;
  combination: string;
  /** The run whose model was evaluated. */
  runId: string;
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
  /** How it won: the metric name (`test.macro_f1`), its direction and the value that decided. */
  selectedBy: { metric: string; higherIsBetter: boolean; value: number };
  /** Test metrics of the model in `runId`; `test.<key>` metric names address these keys. */
  test: TestMetrics;
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

export type Summary = {
  /** Experiment name, derived from the dataset version (e.g. `food101-mini_13c_tr75_te25_<hash8>`). */
  experiment: string;
  datasetVersion: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** Class names in label-index order. */
  classes: string[];
  selection: Selection;
  /** One per architecture pick, in `selection.perArchitecture` order. */
  evaluations: ArchitectureEvaluation[];
  winner: Winner;
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
