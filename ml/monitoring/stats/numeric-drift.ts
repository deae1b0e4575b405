/**
 * Evidently's automatic choice of drift test for one numeric column, by reference size and distinct values:
 * - reference <= 1000 values: KS (p <= 0.05), or chi-squared (p < 0.05) when the column has <= 5 distinct values;
 * - reference > 1000 values: normed Wasserstein (>= 0.1), or Jensen-Shannon (>= 0.1) when <= 5 distinct values.
 * PSI (>= 0.1) is never chosen automatically; ask for it with `method: 'psi'`.
 */
import { chiSquareDrift, jensenShannonDrift } from './categorical.ts';
import { ksDrift } from './ks.ts';
import { psiDrift } from './psi.ts';
import type { DriftMethod, DriftResult } from './types.ts';
import { wassersteinDrift } from './wasserstein.ts';

/** Evidently's size boundary between the small-data tests (p-values) and the large-data ones (distances). */
export const SMALL_REFERENCE_MAX = 1000;

/** How to test one numeric column; every field optional. */
export interface NumericDriftOptions {
  /** 'auto' (default) applies Evidently's rule above. */
  readonly method?: 'auto' | 'ks' | 'wasserstein' | 'psi' | 'chisquare' | 'jensenshannon';
  /** Overrides the chosen method's default threshold. */
  readonly threshold?: number;
}

/** Default threshold of each method (Evidently's). */
export const DEFAULT_THRESHOLDS: Readonly<Record<Exclude<DriftMethod, 'mmd' | 'chi2_contingency'>, number>> = Object.freeze({
  ks: 0.05,
  chisquare: 0.05,
  wasserstein: 0.1,
  psi: 0.1,
  jensenshannon: 0.1,
});

/** The method 'auto' picks for this reference. */
export function autoNumericMethod(reference: ArrayLike<number>): Exclude<DriftMethod, 'mmd' | 'psi' | 'chi2_contingency'> {
  const small = reference.length <= SMALL_REFERENCE_MAX;
  const fewValues = new Set(Array.from(reference)).size <= 5;
  if (small) return fewValues ? 'chisquare' : 'ks';
  return fewValues ? 'jensenshannon' : 'wasserstein';
}

/** Tests one numeric column of the window against the reference. */
export function numericDrift(reference: ArrayLike<number>, current: ArrayLike<number>, opts: NumericDriftOptions = {}): DriftResult {
  if (reference.length === 0 || current.length === 0) throw new Error(`numericDrift: empty sample (reference ${reference.length}, window ${current.length})`);
  const method = !opts.method || opts.method === 'auto' ? autoNumericMethod(reference) : opts.method;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLDS[method];
  switch (method) {
    case 'ks': return ksDrift(reference, current, threshold);
    case 'wasserstein': return wassersteinDrift(reference, current, threshold);
    case 'psi': return psiDrift(reference, current, threshold);
    case 'chisquare': return chiSquareDrift(Array.from(reference), Array.from(current), threshold);
    case 'jensenshannon': return jensenShannonDrift(Array.from(reference), Array.from(current), threshold);
  }
}
