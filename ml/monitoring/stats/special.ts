/**
 * The special functions behind the p-values, from stdlib (@stdlib/*: accurate, maintained, typed): the tails of
 * the chi-squared and binomial distributions and the normal quantile. Hand-written incomplete gamma/beta code is
 * where p-values quietly go wrong, so these three come from a library (see ml/monitoring/README.md).
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import betainc from '@stdlib/math-base-special-betainc';
import normalQuantileDist from '@stdlib/stats-base-dists-normal-quantile';

/** P(X >= x) for X ~ chi-squared with `df` degrees of freedom (the regularised upper incomplete gamma). */
export function chiSquaredSf(x: number, df: number): number {
  if (!(df > 0)) throw new Error(`chiSquaredSf: degrees of freedom must be positive, got ${df}`);
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** P(X >= k) for X ~ Binomial(n, p): the one-sided upper tail, I_p(k, n - k + 1). */
export function binomialSfAtLeast(k: number, n: number, p: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0) throw new Error(`binomialSfAtLeast: k and n must be integers with n >= 0, got k=${k}, n=${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`binomialSfAtLeast: p must be in [0, 1], got ${p}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  return betainc(p, k, n - k + 1, true, false);
}

/** The standard normal quantile (inverse CDF) at probability `p`. */
export function normalQuantile(p: number): number {
  return normalQuantileDist(p, 0, 1);
}
