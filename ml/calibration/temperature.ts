/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 divides the logits so that softmax(logits / T) is
 * calibrated. T is fitted by minimising the negative log-likelihood on held-out predictions (here the
 * out-of-fold validation logits), which leaves the arg-max, hence accuracy, unchanged.
 */
import { expectedCalibrationError } from '../monitoring/calibration.ts';

/** The bins of the reported ECE (15, as in Guo et al.). */
export const ECE_BINS = 15;
/** T is searched in [1/20, 20]: beyond that the predictions are degenerate, not miscalibrated. */
const LOG_T_RANGE = Math.log(20);

function checkShape(logits: ArrayLike<number>, y: ArrayLike<number>, C: number): number {
  const n = y.length;
  if (!(C >= 2) || logits.length !== n * C) throw new RangeError(`temperature: ${logits.length} logits for ${n} rows of ${C} classes`);
  if (n === 0) throw new RangeError('temperature: no rows');
  return n;
}

/** Mean negative log-likelihood of softmax(logits / T) (float64, log-sum-exp). */
export function nllAt(logits: ArrayLike<number>, y: ArrayLike<number>, C: number, T: number): number {
  const n = checkShape(logits, y, C);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[i * C + c]! / T);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[i * C + c]! / T - max);
    sum += max + Math.log(z) - logits[i * C + y[i]!]! / T;
  }
  return sum / n;
}

/** Top-1 confidence of softmax(logits / T) per row, and whether the arg-max is the true class. */
export function topConfidence(logits: ArrayLike<number>, y: ArrayLike<number>, C: number, T: number): { confidence: number[]; correct: boolean[] } {
  const n = checkShape(logits, y, C);
  const confidence: number[] = [];
  const correct: boolean[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + best]!) best = c;
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp((logits[i * C + c]! - logits[i * C + best]!) / T);
    confidence.push(Math.min(1, 1 / z));
    correct.push(best === y[i]);
  }
  return { confidence, correct };
}

/** Expected calibration error of softmax(logits / T), {@link ECE_BINS} equal-width bins by default. */
export function eceAt(logits: ArrayLike<number>, y: ArrayLike<number>, C: number, T: number, bins = ECE_BINS): number {
  const { confidence, correct } = topConfidence(logits, y, C, T);
  return expectedCalibrationError(confidence, correct, bins);
}

/**
 * The T that minimises the NLL. The NLL is convex in 1/T, so a golden-section search over log T (60 steps, to
 * ~1e-12 in log T) finds the minimum without gradients.
 *
 * @throws RangeError on mismatched shapes or no rows.
 */
export function fitTemperature(logits: ArrayLike<number>, y: ArrayLike<number>, C: number): number {
  checkShape(logits, y, C);
  const f = (logT: number) => nllAt(logits, y, C, Math.exp(logT));
  const g = (Math.sqrt(5) - 1) / 2;
  let a = -LOG_T_RANGE, b = LOG_T_RANGE;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  for (let i = 0; i < 60; i++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d); }
  }
  return Math.exp((a + b) / 2);
}
