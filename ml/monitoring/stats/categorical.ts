/** Drift tests on a categorical variable (the predicted class): Jensen-Shannon distance and chi-squared, as Evidently. */
import { chiSquaredSf } from './special.ts';
import type { DriftResult } from './types.ts';

/** Shares of each category (the union of both samples, in first-seen order) in the reference and the window. */
export function categoryShares<T>(reference: readonly T[], current: readonly T[]): { keys: T[]; ref: Float64Array; cur: Float64Array } {
  if (reference.length === 0 || current.length === 0) throw new Error('categoryShares: both samples must be non-empty');
  const index = new Map<T, number>();
  for (const v of [...reference, ...current]) if (!index.has(v)) index.set(v, index.size);
  const ref = new Float64Array(index.size), cur = new Float64Array(index.size);
  for (const v of reference) ref[index.get(v)!]! += 1 / reference.length;
  for (const v of current) cur[index.get(v)!]! += 1 / current.length;
  return { keys: [...index.keys()], ref, cur };
}

/** scipy.spatial.distance.jensenshannon(p, q, base): sqrt of the JS divergence; inputs are normalised first. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new Error(`jensenShannonDistance: lengths differ (${p.length} vs ${q.length})`);
  let sp = 0, sq = 0;
  for (let i = 0; i < p.length; i++) sp += p[i]!, sq += q[i]!;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp, b = q[i]! / sq, m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js / 2) / Math.log(base));
}

/** Evidently's Jensen-Shannon drift test on category shares (no zero filling, base 2); drift when >= threshold (0.1). */
export function jensenShannonDrift<T>(reference: readonly T[], current: readonly T[], threshold = 0.1): DriftResult {
  const { ref, cur } = categoryShares(reference, current);
  const score = jensenShannonDistance(ref, cur, 2);
  return { method: 'jensenshannon', score, threshold, drifted: score >= threshold };
}

/** Pearson's chi-squared goodness of fit (scipy.stats.chisquare): statistic and p-value with k - 1 degrees of freedom. */
export function chiSquareGof(observed: ArrayLike<number>, expected: ArrayLike<number>): { statistic: number; pValue: number } {
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!, e = expected[i]!;
    // A category the reference never saw makes the statistic infinite (scipy does the same): certain drift.
    stat += e === 0 ? (o === 0 ? 0 : Infinity) : (o - e) ** 2 / e;
  }
  const df = observed.length - 1;
  return { statistic: stat, pValue: df > 0 ? chiSquaredSf(stat, df) : 1 };
}

/**
 * Evidently's chi-squared drift test: window counts against reference counts scaled to the window size; drift
 * when p < threshold (default 0.05).
 */
export function chiSquareDrift<T>(reference: readonly T[], current: readonly T[], threshold = 0.05): DriftResult {
  const { ref, cur } = categoryShares(reference, current);
  const observed = cur.map((s) => Math.round(s * current.length));
  const expected = ref.map((s) => s * current.length);
  const r = chiSquareGof(observed, expected);
  return { method: 'chisquare', score: r.pValue, threshold, drifted: r.pValue < threshold, statistic: r.statistic };
}

/**
 * Two-sample chi-squared test of homogeneity on the 2 x K table of category counts (scipy.stats.chi2_contingency
 * without continuity correction): both samples are treated as samples. Evidently's goodness-of-fit form above
 * treats the reference shares as exact, which suits a reference much larger than the window but is
 * anticonservative when they are of similar size, and a category absent from a small reference makes its p-value
 * 0 outright (measured on real photos with 100 + 100: 13 false alarms in 30 in-distribution windows).
 */
export function chiSquareHomogeneityDrift<T>(reference: readonly T[], current: readonly T[], threshold = 0.05): DriftResult {
  const { ref, cur } = categoryShares(reference, current);
  const a = ref.map((s) => Math.round(s * reference.length));
  const b = cur.map((s) => Math.round(s * current.length));
  const na = reference.length, nb = current.length, total = na + nb;
  let stat = 0;
  for (let k = 0; k < a.length; k++) {
    const col = a[k]! + b[k]!;
    const ea = (col * na) / total, eb = (col * nb) / total;
    stat += (a[k]! - ea) ** 2 / ea + (b[k]! - eb) ** 2 / eb;
  }
  const df = a.length - 1;
  const pValue = df > 0 ? chiSquaredSf(stat, df) : 1;
  return { method: 'chi2_contingency', score: pValue, threshold, drifted: pValue < threshold, statistic: stat };
}
