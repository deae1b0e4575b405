/**
 * Row-wise operations on an n x C score matrix stored row-major in a flat array (logits or probabilities).
 * Shared by evaluation and serving, so both rank classes the same way (ties go to the lower class index).
 */

/** Number of rows of a flat n x C matrix; throws when the length is not a multiple of C. */
export function rowCount(values: ArrayLike<number>, numClasses: number, what = 'scores'): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  if (values.length % numClasses !== 0) {
    throw new RangeError(`${what} has ${values.length} values, not a multiple of ${numClasses} classes`);
  }
  return values.length / numClasses;
}

/**
 * Writes the row-wise softmax of `logits` into `out` (same length). Numerically stable: the row maximum is
 * subtracted before `exp`, so logits like 1000 do not overflow. Expects finite logits.
 */
export function softmaxInto<T extends Float32Array | Float64Array>(
  logits: ArrayLike<number>,
  numClasses: number,
  out: T,
): T {
  const n = rowCount(logits, numClasses, 'logits');
  if (out.length !== logits.length) throw new RangeError(`softmax output has ${out.length} slots for ${logits.length} logits`);
  for (let r = 0; r < n; r++) {
    const o = r * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[o + c]!);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += Math.exp(logits[o + c]! - max);
    // Accumulated in float64 whatever `out` is, then normalised per element.
    for (let c = 0; c < numClasses; c++) out[o + c] = Math.exp(logits[o + c]! - max) / sum;
  }
  return out;
}

/** Row-wise softmax of an n x C row-major matrix (numerically stable, computed in float64). */
export function softmax(logits: ArrayLike<number>, numClasses: number): Float32Array {
  return softmaxInto(logits, numClasses, new Float32Array(logits.length));
}

/** Index of the largest score of each row; ties go to the lowest class index. */
export function argmax(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const n = rowCount(scores, numClasses);
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const o = r * numClasses;
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[o + c]! > scores[o + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** One ranked entry of {@link topK}. */
export interface Ranked {
  readonly index: number;
  readonly score: number;
}

/**
 * The `k` highest-scoring classes of each row, best first; ties go to the lower class index. `k` larger than
 * the number of classes returns every class.
 */
export function topK(scores: ArrayLike<number>, numClasses: number, k: number): Ranked[][] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const n = rowCount(scores, numClasses);
  const take = Math.min(k, numClasses);
  const rows: Ranked[][] = [];
  for (let r = 0; r < n; r++) {
    const o = r * numClasses;
    const order = Array.from({ length: numClasses }, (_, c) => c);
    order.sort((a, b) => scores[o + b]! - scores[o + a]! || a - b);
    rows.push(order.slice(0, take).map((index) => ({ index, score: scores[o + index]! })));
  }
  return rows;
}
