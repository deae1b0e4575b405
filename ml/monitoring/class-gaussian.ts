/**
 * Class centroids with one shared covariance in the projected embedding space (a linear discriminant model):
 * the Mahalanobis distance to the nearest centroid is the out-of-scope score (Lee et al. 2018), and the same
 * model's posteriors give a stand-in classifier where no trained head is at hand.
 *
 * The covariance is shrunk towards a scaled identity, by the Ledoit-Wolf formula unless a fixed shrinkage is
 * given: with ~10 photos per class in 32 dimensions the raw pooled covariance is poorly conditioned.
 */
import { cholesky, forwardSolve } from './linalg.ts';

/** A fitted class-Gaussian model. JSON-serialisable. */
export interface ClassGaussian {
  readonly dim: number;
  /** Class labels, in the order of `centroids`. */
  readonly classes: string[];
  readonly centroids: number[][];
  /** Row-major lower Cholesky factor of the shrunk shared covariance. */
  readonly choleskyLower: number[];
  /** The shrinkage used (0 = raw pooled covariance, 1 = scaled identity). */
  readonly shrinkage: number;
}

/** Fitting options. */
export interface ClassGaussianOptions {
  /** Fixed shrinkage in [0, 1]; default: the Ledoit-Wolf estimate. */
  readonly shrinkage?: number;
}

/** Fits centroids and the shared covariance on `n` row-major rows of `dim` numbers with one label each. */
export function fitClassGaussian(rows: ArrayLike<number>, labels: readonly string[], dim: number, opts: ClassGaussianOptions = {}): ClassGaussian {
  const n = labels.length;
  if (rows.length !== n * dim) throw new Error(`fitClassGaussian: ${rows.length} values for ${n} labels x ${dim} dims`);
  const classes = [...new Set(labels)].sort();
  if (classes.length < 1 || n <= classes.length) throw new Error(`fitClassGaussian: need more rows (${n}) than classes (${classes.length})`);
  const idx = new Map(classes.map((c, i) => [c, i]));
  const sums = classes.map(() => new Float64Array(dim));
  const counts = new Float64Array(classes.length);
  for (let i = 0; i < n; i++) {
    const c = idx.get(labels[i]!)!;
    counts[c]! += 1;
    for (let j = 0; j < dim; j++) sums[c]![j]! += rows[i * dim + j]!;
  }
  const centroids = sums.map((s, c) => Array.from(s, (v) => v / counts[c]!));
  // Residuals from the own-class centroid; pooled covariance with n - C degrees of freedom.
  const res = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const mu = centroids[idx.get(labels[i]!)!]!;
    for (let j = 0; j < dim; j++) res[i * dim + j] = rows[i * dim + j]! - mu[j]!;
  }
  const s = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) for (let a = 0; a < dim; a++) {
    const ra = res[i * dim + a]!;
    if (ra === 0) continue;
    for (let b = 0; b < dim; b++) s[a * dim + b]! += ra * res[i * dim + b]!;
  }
  const shrinkage = opts.shrinkage ?? ledoitWolfShrinkage(res, n, dim, s);
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new Error(`fitClassGaussian: shrinkage must be in [0, 1], got ${shrinkage}`);
  const df = n - classes.length;
  let trace = 0;
  for (let a = 0; a < dim; a++) trace += s[a * dim + a]! / df;
  const mu = trace / dim;
  const cov = new Float64Array(dim * dim);
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b] = (1 - shrinkage) * (s[a * dim + b]! / df) + (a === b ? shrinkage * mu : 0);
  // A tiny ridge keeps Cholesky defined for exactly collinear inputs (e.g. duplicated photos).
  for (let a = 0; a < dim; a++) cov[a * dim + a]! += 1e-9 * (mu || 1);
  return { dim, classes, centroids, choleskyLower: Array.from(cholesky(cov, dim)), shrinkage };
}

/**
 * Ledoit & Wolf (2004) shrinkage intensity towards mu * I, as sklearn.covariance.ledoit_wolf_shrinkage, computed
 * from residuals `res` (n x dim) and their scatter matrix `scatter` (sum of outer products).
 */
export function ledoitWolfShrinkage(res: Float64Array, n: number, dim: number, scatter: Float64Array): number {
  const s = scatter.map((v) => v / n);
  let mu = 0;
  for (let a = 0; a < dim; a++) mu += s[a * dim + a]! / dim;
  let delta = 0, sNorm2 = 0;
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) {
    const v = s[a * dim + b]!;
    sNorm2 += v * v;
    delta += (v - (a === b ? mu : 0)) ** 2;
  }
  // beta = (1/n^2) sum_i |r_i r_i^T - S|_F^2 = (1/n^2) sum_i (|r_i|^4 - 2 r_i^T S r_i + |S|_F^2)
  let beta = 0;
  for (let i = 0; i < n; i++) {
    let norm2 = 0, quad = 0;
    for (let a = 0; a < dim; a++) {
      const ra = res[i * dim + a]!;
      norm2 += ra * ra;
      let t = 0;
      for (let b = 0; b < dim; b++) t += s[a * dim + b]! * res[i * dim + b]!;
      quad += ra * t;
    }
    beta += norm2 * norm2 - 2 * quad + sNorm2;
  }
  beta /= n * n;
  return delta > 0 ? Math.min(1, beta / delta) : 1;
}

/** Squared Mahalanobis distance of `x` to each centroid. */
export function mahalanobis2(model: ClassGaussian, x: ArrayLike<number>): Float64Array {
  if (x.length !== model.dim) throw new Error(`mahalanobis2: row has ${x.length} values, the model expects ${model.dim}`);
  const out = new Float64Array(model.centroids.length);
  const diff = new Float64Array(model.dim);
  model.centroids.forEach((mu, c) => {
    for (let j = 0; j < model.dim; j++) diff[j] = x[j]! - mu[j]!;
    const z = forwardSolve(model.choleskyLower, model.dim, diff);
    let s = 0;
    for (const v of z) s += v * v;
    out[c] = s;
  });
  return out;
}

/** Out-of-scope score: squared Mahalanobis distance to the nearest centroid. */
export function nearestCentroidScore(model: ClassGaussian, x: ArrayLike<number>): number {
  return Math.min(...mahalanobis2(model, x));
}

/** Posterior class probabilities under equal priors: softmax(-d^2 / 2). */
export function classPosteriors(model: ClassGaussian, x: ArrayLike<number>): Float64Array {
  const d2 = mahalanobis2(model, x);
  const min = Math.min(...d2);
  const e = d2.map((v) => Math.exp(-(v - min) / 2));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
