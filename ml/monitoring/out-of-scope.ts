/**
 * Out-of-scope detection: a photo is out of scope when its Mahalanobis distance to the nearest class centroid
 * exceeds a threshold calibrated on the reference set to a stated false-positive rate; a window is flagged when
 * its share of such photos is significantly above that rate (one-sided binomial test) and above `maxShare`
 * (default: the calibrated rate itself).
 *
 * Calibration is cross-fitted: centroids fitted on one half of the reference score the other half, so the
 * threshold is a quantile of distances of photos the model did not see (in-sample distances are too small and
 * would raise the false-positive rate above the one stated).
 */
import { fitClassGaussian, nearestCentroidScore, type ClassGaussian, type ClassGaussianOptions } from './class-gaussian.ts';
import { binomialSfAtLeast } from './stats/special.ts';

/** A calibrated out-of-scope detector. JSON-serialisable. */
export interface OutOfScopeModel {
  readonly model: ClassGaussian;
  /** Scores above this are out of scope. */
  readonly threshold: number;
  /** The false-positive rate the threshold was calibrated to on the reference. */
  readonly fpr: number;
  /** Reference photos the calibration used. */
  readonly calibrationSize: number;
}

/** Calibration options. */
export interface OutOfScopeOptions extends ClassGaussianOptions {
  /** Target false-positive rate on in-scope photos (default 0.05). */
  readonly fpr?: number;
}

/**
 * Fits on reference rows (projected embeddings, row-major) with their true labels and calibrates the threshold
 * to `fpr` with 2-fold cross-fitting (folds alternate within each class).
 */
export function fitOutOfScope(rows: ArrayLike<number>, labels: readonly string[], dim: number, opts: OutOfScopeOptions = {}): OutOfScopeModel {
  const fpr = opts.fpr ?? 0.05;
  if (!(fpr > 0 && fpr < 1)) throw new Error(`fitOutOfScope: fpr must be in (0, 1), got ${fpr}`);
  const n = labels.length;
  const seen = new Map<string, number>();
  const fold = labels.map((l) => {
    const k = seen.get(l) ?? 0;
    seen.set(l, k + 1);
    return k % 2;
  });
  const scores: number[] = [];
  for (const f of [0, 1]) {
    const fitIdx = [...Array(n).keys()].filter((i) => fold[i] !== f);
    const testIdx = [...Array(n).keys()].filter((i) => fold[i] === f);
    const m = fitClassGaussian(gather(rows, fitIdx, dim), fitIdx.map((i) => labels[i]!), dim, opts);
    for (const i of testIdx) scores.push(nearestCentroidScore(m, Array.prototype.slice.call(rows, i * dim, (i + 1) * dim) as number[]));
  }
  return { model: fitClassGaussian(rows, labels, dim, opts), threshold: conformalQuantile(scores, fpr), fpr, calibrationSize: n };
}

/**
 * The ceil((n + 1)(1 - fpr))-th smallest score: a new in-scope score exceeds it with probability at most `fpr`
 * (the split-conformal guarantee), instead of roughly `fpr` with an interpolated quantile.
 */
export function conformalQuantile(scores: readonly number[], fpr: number): number {
  const s = [...scores].sort((a, b) => a - b);
  const rank = Math.ceil((s.length + 1) * (1 - fpr));
  return rank > s.length ? Infinity : s[rank - 1]!;
}

/**
 * Calibrates a model fitted elsewhere (e.g. on the training set's embeddings) on reference rows it never saw:
 * no cross-fitting needed, the reference scores are already out-of-sample.
 */
export function calibrateOutOfScope(model: ClassGaussian, rows: ArrayLike<number>, n: number, fpr = 0.05): OutOfScopeModel {
  if (!(fpr > 0 && fpr < 1)) throw new Error(`calibrateOutOfScope: fpr must be in (0, 1), got ${fpr}`);
  const d = model.dim;
  if (rows.length !== n * d) throw new Error(`calibrateOutOfScope: ${rows.length} values is not ${n} rows x ${d}`);
  const scores = Array.from({ length: n }, (_, i) => nearestCentroidScore(model, Array.prototype.slice.call(rows, i * d, (i + 1) * d) as number[]));
  return { model, threshold: conformalQuantile(scores, fpr), fpr, calibrationSize: n };
}

function gather(rows: ArrayLike<number>, idx: readonly number[], dim: number): Float64Array {
  const out = new Float64Array(idx.length * dim);
  idx.forEach((r, k) => {
    for (let j = 0; j < dim; j++) out[k * dim + j] = rows[r * dim + j]!;
  });
  return out;
}

/** Out-of-scope score of one projected embedding (squared Mahalanobis distance to the nearest centroid). */
export function outOfScopeScore(oos: OutOfScopeModel, x: ArrayLike<number>): number {
  return nearestCentroidScore(oos.model, x);
}

/** The out-of-scope verdict on a window. */
export interface OutOfScopeWindow {
  readonly count: number;
  readonly n: number;
  readonly share: number;
  /** P(X >= count) for X ~ Binomial(n, fpr): how surprising this many flagged photos is for in-scope inputs. */
  readonly pValue: number;
  readonly drifted: boolean;
}

/** Share of out-of-scope photos in a window and its binomial test against the calibrated rate. */
export function outOfScopeWindow(oos: OutOfScopeModel, scores: readonly number[], opts: { maxShare?: number; alpha?: number } = {}): OutOfScopeWindow {
  const n = scores.length;
  if (n === 0) throw new Error('outOfScopeWindow: the window is empty');
  const count = scores.filter((s) => s > oos.threshold).length;
  const share = count / n;
  const pValue = binomialSfAtLeast(count, n, oos.fpr);
  return { count, n, share, pValue, drifted: share > (opts.maxShare ?? oos.fpr) && pValue < (opts.alpha ?? 0.01) };
}
