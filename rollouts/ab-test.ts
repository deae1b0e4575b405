/**
 * The A/B decision: a two-proportion z-test on feedback accuracy at a fixed horizon (`ab.min_samples` labelled
 * requests per variant). Why this and not a sequential test: the controller looks at the data exactly once, when
 * the horizon is reached (before that the rollout only reports intervals), so the classic test's error rates hold
 * without the alpha-spending bookkeeping a sequential test needs; and its result (difference, interval, p-value)
 * is what a reader of `rollout status` expects. Peeking and stopping early would need a sequential test (mSPRT).
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import type { AbDecision } from './types.ts';

export interface Arm {
  readonly n: number;
  readonly correct: number;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Wilson score interval of one proportion (sane at 0 and 1, unlike Wald). */
export function wilson(arm: Arm, alpha = 0.05): [number, number] {
  if (arm.n === 0) return [0, 1];
  const z = normalQuantile(1 - alpha / 2, 0, 1);
  const p = arm.correct / arm.n;
  const d = 1 + (z * z) / arm.n;
  const centre = (p + (z * z) / (2 * arm.n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / arm.n + (z * z) / (4 * arm.n * arm.n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function twoProportionTest(a: Arm, b: Arm, alpha: number): AbDecision {
  const pa = a.n ? a.correct / a.n : 0;
  const pb = b.n ? b.correct / b.n : 0;
  const pooled = (a.correct + b.correct) / Math.max(1, a.n + b.n);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / Math.max(1, a.n) + 1 / Math.max(1, b.n)));
  const z = sePooled > 0 ? (pb - pa) / sePooled : 0;
  const pValue = 2 * (1 - normalCdf(Math.abs(z)));
  // Interval of the difference: unpooled standard error (the pooled one assumes the null).
  const se = Math.sqrt((pa * (1 - pa)) / Math.max(1, a.n) + (pb * (1 - pb)) / Math.max(1, b.n));
  const q = normalQuantile(1 - alpha / 2, 0, 1);
  const effect = pb - pa;
  const decision = pValue < alpha ? (effect > 0 ? 'b_better' : 'a_better') : 'no_difference';
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    test: 'two-proportion z-test',
    metric: 'feedback_accuracy',
    a: { n: a.n, accuracy: r(pa), ci95: wilson(a, alpha).map(r) as [number, number] },
    b: { n: b.n, accuracy: r(pb), ci95: wilson(b, alpha).map(r) as [number, number] },
    effect: r(effect),
    effectCi: [r(effect - q * se), r(effect + q * se)],
    z: r(z),
    pValue: Number(pValue.toPrecision(4)),
    alpha,
    decision,
  };
}
