/** The result shape every drift test returns, whatever it measures. */

/** Names of the statistical methods, as they appear in results, configuration and alerts. */
export type DriftMethod = 'ks' | 'wasserstein' | 'psi' | 'jensenshannon' | 'chisquare' | 'chi2_contingency' | 'mmd';

/**
 * One test of a window against the reference. For p-value methods (`ks`, `chisquare`, `chi2_contingency`, `mmd`) `score` is the
 * p-value and drift means `score < threshold` (`<=` for KS, as Evidently); for distances (`wasserstein`, `psi`,
 * `jensenshannon`) drift means `score >= threshold`.
 */
export interface DriftResult {
  readonly method: DriftMethod;
  readonly score: number;
  readonly threshold: number;
  readonly drifted: boolean;
  /** The test statistic when `score` is a p-value (KS D, chi-squared, MMD^2). */
  readonly statistic?: number;
}

/** True for methods whose score is a p-value (small = drift). */
export function isPValueMethod(method: DriftMethod): boolean {
  return method === 'ks' || method === 'chisquare' || method === 'chi2_contingency' || method === 'mmd';
}
