/**
 * Two-sample Kolmogorov-Smirnov test (two-sided), as scipy.stats.ks_2samp with method='auto': the exact p-value
 * when both samples have at most 10,000 values, the asymptotic Kolmogorov distribution above that.
 */
import type { DriftResult } from './types.ts';

/** scipy's limit for the exact method under 'auto'. */
export const KS_EXACT_MAX_N = 10_000;

/** D statistic and p-value of the two-sided two-sample KS test. */
export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
}

/**
 * D = max |F1 - F2| over the pooled values, kept as the integer K = D * n1 * n2 so that the exact null
 * distribution below compares integers, never floats.
 */
function ksIntegerStatistic(a: Float64Array, b: Float64Array): number {
  const m = a.length, n = b.length;
  let i = 0, j = 0, k = 0;
  while (i < m && j < n) {
    const v = a[i]! <= b[j]! ? a[i]! : b[j]!;
    while (i < m && a[i]! === v) i++;
    while (j < n && b[j]! === v) j++;
    const d = Math.abs(i * n - j * m);
    if (d > k) k = d;
  }
  return k;
}

/**
 * P(D >= K / (m n)) under H0: one minus the share of monotone lattice paths from (0,0) to (m,n) that stay
 * strictly inside |i n - j m| < K. q(i,j) = q(i-1,j) i/(i+j) + q(i,j-1) j/(i+j) is the path count divided by
 * C(i+j, j), so every value stays in [0, 1] (the recurrence scipy uses too). O(m n) time, O(n) memory.
 */
export function ksExactPValue(m: number, n: number, k: number): number {
  if (k <= 0) return 1;
  const q = new Float64Array(n + 1);
  for (let j = 0; j <= n; j++) q[j] = Math.abs(j * m) < k ? 1 : 0;
  // Once a cell is outside, every later cell in the row along the same side is reached only through valid cells.
  for (let j = 1; j <= n; j++) if (q[j - 1] === 0) q[j] = 0;
  for (let i = 1; i <= m; i++) {
    const inside0 = Math.abs(i * n) < k;
    q[0] = inside0 ? q[0]! : 0;
    for (let j = 1; j <= n; j++) {
      q[j] = Math.abs(i * n - j * m) < k ? (q[j]! * i + q[j - 1]! * j) / (i + j) : 0;
    }
  }
  return Math.min(1, Math.max(0, 1 - q[n]!));
}

/** Survival function of the Kolmogorov distribution, P(K > x) (scipy.stats.kstwobign.sf). */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1;
  if (x < 1) {
    // Small x: the Jacobi-theta form converges fast; P(K <= x) = sqrt(2 pi)/x sum exp(-(2k-1)^2 pi^2 / (8 x^2)).
    let s = 0;
    for (let k = 1; k <= 20; k++) s += Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * x * x));
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s;
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = Math.exp(-2 * k * k * x * x);
    s += (k % 2 ? 1 : -1) * t;
    if (t < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

const sortedCopy = (xs: ArrayLike<number>, what: string): Float64Array => {
  const out = Float64Array.from(xs);
  if (out.length === 0) throw new Error(`ks: the ${what} sample is empty`);
  if (out.some((v) => !Number.isFinite(v))) throw new Error(`ks: the ${what} sample holds a value that is not a finite number`);
  return out.sort();
};

/**
 * Two-sided two-sample KS test. Exact when max(n1, n2) <= 10,000 (scipy's 'auto'); otherwise the asymptotic
 * p-value kstwobign.sf(sqrt(n1 n2 / (n1 + n2)) D) (scipy's 'asymp' uses a finite-n refinement of the same law;
 * at these sizes the two differ in the third decimal at most).
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const x = sortedCopy(a, 'first'), y = sortedCopy(b, 'second');
  const m = x.length, n = y.length;
  const k = ksIntegerStatistic(x, y);
  const statistic = k / (m * n);
  if (Math.max(m, n) <= KS_EXACT_MAX_N) return { statistic, pValue: ksExactPValue(m, n, k), method: 'exact' };
  return { statistic, pValue: kolmogorovSf(Math.sqrt((m * n) / (m + n)) * statistic), method: 'asymptotic' };
}

/** Evidently's KS drift test: drift when p <= threshold (default 0.05). */
export function ksDrift(reference: ArrayLike<number>, current: ArrayLike<number>, threshold = 0.05): DriftResult {
  const r = ksTwoSample(reference, current);
  return { method: 'ks', score: r.pValue, threshold, drifted: r.pValue <= threshold, statistic: r.statistic };
}
