/** Population Stability Index with Evidently's binning and zero handling. */
import { histogramCounts, sturgesEdges } from './histogram.ts';
import { categoryShares } from './categorical.ts';
import type { DriftResult } from './types.ts';

/**
 * Evidently's zero filling ("feel_zeroes"): an empty bin gets 0.0001, or the smallest non-zero share / 10^6 when
 * that share is itself <= 0.0001, so the log in PSI stays finite.
 */
export function fillZeroShares(shares: Float64Array): Float64Array {
  let min = Infinity;
  for (const s of shares) if (s > 0 && s < min) min = s;
  const eps = min <= 0.0001 ? min / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? eps : s));
}

/**
 * Shares of the reference and the window in common bins: for numbers with more than 20 distinct reference values,
 * equal-width Sturges bins over both samples pooled (as Evidently); otherwise one bin per distinct value.
 */
export function binnedShares(reference: ArrayLike<number>, current: ArrayLike<number>): { ref: Float64Array; cur: Float64Array } {
  if (new Set(Array.from(reference)).size > 20) {
    const pooled = new Float64Array(reference.length + current.length);
    pooled.set(Array.from(reference));
    pooled.set(Array.from(current), reference.length);
    const edges = sturgesEdges(pooled);
    const ref = histogramCounts(reference, edges).map((c) => c / reference.length);
    const cur = histogramCounts(current, edges).map((c) => c / current.length);
    return { ref, cur };
  }
  const s = categoryShares(Array.from(reference), Array.from(current));
  return { ref: s.ref, cur: s.cur };
}

/** PSI = sum (r - c) ln(r / c) over bins; drift when >= threshold (Evidently's default 0.1). */
export function psiDrift(reference: ArrayLike<number>, current: ArrayLike<number>, threshold = 0.1): DriftResult {
  const { ref, cur } = binnedShares(reference, current);
  const r = fillZeroShares(ref), c = fillZeroShares(cur);
  let score = 0;
  for (let i = 0; i < r.length; i++) score += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return { method: 'psi', score, threshold, drifted: score >= threshold };
}
