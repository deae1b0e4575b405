/** Accuracy from feedback labels with the Wilson score interval (good coverage even for small n or p near 0/1). */
import { normalQuantile } from './stats/special.ts';

/** A proportion with its interval. */
export interface ProportionInterval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly n: number;
  readonly confidence: number;
}

/** Wilson interval for `successes` out of `n` at `confidence` (default 0.95). */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): ProportionInterval {
  if (!(n > 0) || successes < 0 || successes > n) throw new Error(`wilsonInterval: need 0 <= successes (${successes}) <= n (${n}) and n > 0`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`wilsonInterval: confidence must be in (0, 1), got ${confidence}`);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half), n, confidence };
}
