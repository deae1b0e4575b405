/** First Wasserstein distance between two samples, and Evidently's normed version used for drift. */
import type { DriftResult } from './types.ts';

/** W1 between the empirical distributions of `a` and `b`: the area between their CDFs (scipy.stats.wasserstein_distance). */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort(), y = Float64Array.from(b).sort();
  const m = x.length, n = y.length;
  if (m === 0 || n === 0) throw new Error('wasserstein1: both samples must be non-empty');
  let i = 0, j = 0, area = 0;
  let prev = Math.min(x[0]!, y[0]!);
  while (i < m || j < n) {
    const v = j >= n || (i < m && x[i]! <= y[j]!) ? x[i]! : y[j]!;
    area += Math.abs(i / m - j / n) * (v - prev);
    while (i < m && x[i] === v) i++;
    while (j < n && y[j] === v) j++;
    prev = v;
  }
  return area;
}

/** Population standard deviation (numpy's default, ddof = 0). */
export function populationStd(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let s2 = 0;
  for (let i = 0; i < xs.length; i++) s2 += (xs[i]! - mean) ** 2;
  return Math.sqrt(s2 / xs.length);
}

/**
 * Evidently's normed Wasserstein drift test: W1 divided by the reference's standard deviation (at least 0.001,
 * so a constant reference does not divide by zero); drift when the result is >= threshold (default 0.1, i.e. the
 * window moved by a tenth of a reference standard deviation on average).
 */
export function wassersteinDrift(reference: ArrayLike<number>, current: ArrayLike<number>, threshold = 0.1): DriftResult {
  const score = wasserstein1(reference, current) / Math.max(populationStd(reference), 0.001);
  return { method: 'wasserstein', score, threshold, drifted: score >= threshold };
}
