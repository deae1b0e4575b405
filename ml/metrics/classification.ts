/**
 * Classification metrics on a test set: accuracy, macro precision/recall/F1, log loss, one-vs-rest ROC AUC and
 * the confusion matrix, with scikit-learn's conventions so the numbers can be checked against it.
 */
import { binaryRocAuc } from './roc-auc.ts';
import { argmax, rowCount, softmaxInto } from './scores.ts';

export { argmax, softmax, topK, type Ranked } from './scores.ts';
export { binaryRocAuc } from './roc-auc.ts';

/** Probabilities are clipped to [LOG_LOSS_EPS, 1 - LOG_LOSS_EPS] before the log (scikit-learn's historic eps). */
export const LOG_LOSS_EPS = 1e-15;
/** A row of probabilities must sum to 1 within this tolerance (float32 softmax outputs do, to ~1e-6). */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

/**
 * What to evaluate: a flat n x C row-major matrix of either raw `logits` (softmax is applied) or
 * `probabilities` (used as given), the true class index of each row in `y`, and the class names (C of them).
 */
export type EvaluateInput = {
  readonly y: ArrayLike<number>;
  readonly classes: readonly string[];
} & (
  | { readonly logits: ArrayLike<number>; readonly probabilities?: undefined }
  | { readonly probabilities: ArrayLike<number>; readonly logits?: undefined }
);

/** Metrics of one class, treated one-vs-rest. */
export type PerClassMetrics = {
  class: string;
  /** TP / predicted; 0 when the class is never predicted (scikit-learn `zero_division=0`). */
  precision: number;
  /** TP / support; 0 when the class is absent from `y`. */
  recall: number;
  /** Harmonic mean of precision and recall, i.e. 2TP / (support + predicted); 0 when precision + recall = 0. */
  f1: number;
  /** Number of rows whose true class is this one. */
  support: number;
  /** One-vs-rest ROC AUC on this class's probability; `null` when `y` has no positives or no negatives for it. */
  roc_auc: number | null;
};

/** The scalar test metrics: the keys that `test.<key>` metric names address. Clean JSON (no NaN). */
export type TestMetrics = {
  accuracy: number;
  /** The true class is among the 5 most probable (ties to the lower class index); 1 when C <= 5. */
  top5_accuracy: number;
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  /** Mean negative log-probability of the true class, probabilities clipped by {@link LOG_LOSS_EPS}. */
  log_loss: number;
  /** Mean of the per-class ROC AUCs that are defined; `null` when none is. */
  roc_auc_macro: number | null;
  /** Number of evaluated rows. */
  n: number;
};

/** Everything {@link evaluate} computes. */
export type ClassificationReport = TestMetrics & {
  /** One entry per class, in the order of `classes`. */
  per_class: PerClassMetrics[];
  /** `confusion[t][p]`: rows with true class t predicted as p (rows = true, columns = predicted). */
  confusion: number[][];
};

/**
 * Evaluates predictions against true labels.
 *
 * Conventions (each matches scikit-learn):
 * - The prediction is the most probable class; ties go to the lower class index.
 * - Precision of a class never predicted is 0 and recall of a class absent from `y` is 0 (`zero_division=0`);
 *   F1 is 0 when precision + recall = 0.
 * - Macro averages are unweighted means over the classes that occur in `y` or in the predictions (scikit-learn's
 *   default `labels=None`): a class that appears in neither carries no information and is left out; a class
 *   predicted but absent from `y` counts with precision, recall and F1 of 0.
 * - ROC AUC is one-vs-rest on each class's probability, by the rank statistic with ties counted 1/2 (equal to
 *   `roc_auc_score`). A class with no positives or no negatives in `y` gets `roc_auc: null` and is left out of
 *   `roc_auc_macro`.
 * - Log loss is computed in float64 on probabilities clipped to [1e-15, 1 - 1e-15] (`log_loss(eps=1e-15)`).
 *
 * @throws RangeError on an empty input, mismatched sizes, a label outside [0, C), non-finite scores, or
 *   `probabilities` rows that are negative or do not sum to 1.
 */
export function evaluate(input: EvaluateInput): ClassificationReport {
  const { y, classes } = input;
  const C = classes.length;
  const probs = toProbabilities(input, C);
  const n = probs.length / C;
  if (n === 0) throw new RangeError('evaluate: no rows to evaluate');
  if (y.length !== n) throw new RangeError(`evaluate: ${n} rows of scores but ${y.length} labels`);
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= C) {
      throw new RangeError(`evaluate: label y[${i}] = ${t} is not a class index in [0, ${C})`);
    }
  }

  const pred = argmax(probs, C);
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  let inTop5 = 0;
  let lossSum = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    confusion[t]![pred[i]!]!++;
    if (pred[i] === t) correct++;
    if (rankOfTrue(probs, C, i, t) < 5) inTop5++;
    const p = Math.min(Math.max(probs[i * C + t]!, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    lossSum -= Math.log(p);
  }

  const per_class: PerClassMetrics[] = [];
  const column = new Float64Array(n);
  const isPositive = new Uint8Array(n);
  let macroP = 0, macroR = 0, macroF = 0, macroCount = 0;
  let aucSum = 0, aucCount = 0;
  for (let k = 0; k < C; k++) {
    const tp = confusion[k]![k]!;
    const support = sumRow(confusion[k]!);
    let predicted = 0;
    for (let t = 0; t < C; t++) predicted += confusion[t]![k]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = tp > 0 ? (2 * tp) / (support + predicted) : 0;
    for (let i = 0; i < n; i++) {
      column[i] = probs[i * C + k]!;
      isPositive[i] = y[i] === k ? 1 : 0;
    }
    const roc_auc = binaryRocAuc(column, isPositive);
    per_class.push({ class: classes[k]!, precision, recall, f1, support, roc_auc });
    if (support > 0 || predicted > 0) {
      macroP += precision; macroR += recall; macroF += f1; macroCount++;
    }
    if (roc_auc !== null) { aucSum += roc_auc; aucCount++; }
  }

  return {
    accuracy: correct / n,
    top5_accuracy: inTop5 / n,
    macro_precision: macroP / macroCount,
    macro_recall: macroR / macroCount,
    macro_f1: macroF / macroCount,
    log_loss: lossSum / n,
    roc_auc_macro: aucCount > 0 ? aucSum / aucCount : null,
    n,
    per_class,
    confusion,
  };
}

/** The scalar part of a report (what goes under `test` in the summary), without per-class rows or the matrix. */
export function testMetrics(report: ClassificationReport): TestMetrics {
  const { accuracy, top5_accuracy, macro_precision, macro_recall, macro_f1, log_loss, roc_auc_macro, n } = report;
  return { accuracy, top5_accuracy, macro_precision, macro_recall, macro_f1, log_loss, roc_auc_macro, n };
}

function toProbabilities(input: EvaluateInput, C: number): Float64Array {
  if (C < 1) throw new RangeError('evaluate: classes is empty');
  const source = input.logits ?? input.probabilities;
  if (source === undefined) throw new RangeError('evaluate: give either logits or probabilities');
  const what = input.logits !== undefined ? 'logits' : 'probabilities';
  const n = rowCount(source, C, what);
  for (let i = 0; i < source.length; i++) {
    if (!Number.isFinite(source[i])) {
      throw new RangeError(`evaluate: ${what}[${i}] (row ${Math.floor(i / C)}, class ${i % C}) is ${source[i]}`);
    }
  }
  if (input.logits !== undefined) return softmaxInto(source, C, new Float64Array(source.length));
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const p = source[r * C + c]!;
      if (p < 0) throw new RangeError(`evaluate: probabilities row ${r} has a negative value ${p} (pass logits instead?)`);
      sum += p;
    }
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      throw new RangeError(`evaluate: probabilities row ${r} sums to ${sum}, not 1 (pass logits instead?)`);
    }
  }
  return Float64Array.from(source);
}

/** 0-based rank of the true class in row i: classes scoring higher, plus equal-scoring ones with a lower index. */
function rankOfTrue(probs: Float64Array, C: number, i: number, t: number): number {
  const o = i * C;
  const pt = probs[o + t]!;
  let rank = 0;
  for (let c = 0; c < C; c++) {
    const p = probs[o + c]!;
    if (p > pt || (p === pt && c < t)) rank++;
  }
  return rank;
}

function sumRow(row: readonly number[]): number {
  let s = 0;
  for (const v of row) s += v;
  return s;
}
