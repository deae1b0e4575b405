/** Small statistics used by selection, kept apart so their edge cases are tested on their own. */
import type { MeanStd } from './types.ts';

/** Mean and sample standard deviation (divides by n - 1); the std of a single value is 0. */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) throw new RangeError('meanStd of no values');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, std: 0 };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)) };
}

/**
 * Min-max normalisation to [0, 1]. When every value is equal the range carries no information, so no value is
 * preferred: each gets `whenConstant` (the caller chooses the best end, see `select`). This is the guard the
 * original project lacked (it divided by zero).
 */
export function minMaxNormalise(values: readonly number[], whenConstant: number): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (!(max > min)) return values.map(() => whenConstant);
  return values.map((v) => (v - min) / (max - min));
}

/** Natural-order comparison ("c2" before "c10"), then code units, so ties break the same way everywhere. */
const collator = new Intl.Collator('en', { numeric: true });
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
