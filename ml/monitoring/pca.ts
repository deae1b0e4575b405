/**
 * PCA of reference embeddings (e.g. the backbone's 1280-d pooled features) down to 16-64 dimensions, fitted by
 * randomised subspace iteration (Halko, Martinsson & Tropp 2011): only the top components are computed, in
 * O(n d l) per iteration instead of a full SVD. The fitted projection is plain JSON, so it travels with the
 * reference profile and keeps each prediction-log row small.
 */
import { mulberry32 } from '../random.ts';
import { orthonormalizeColumns, symmetricEigen } from './linalg.ts';

/** A fitted projection: `project(x) = components (x - mean)`. JSON-serialisable. */
export interface PcaProjection {
  readonly kind: 'pca';
  /** Input dimension (1280 for MobileNetV2 features). */
  readonly inputDim: number;
  /** Output dimension. */
  readonly dim: number;
  readonly mean: number[];
  /** `dim` rows of length `inputDim`, orthonormal, by decreasing variance. */
  readonly components: number[][];
  /** Variance along each component (divided by n - 1, as sklearn). */
  readonly explainedVariance: number[];
  /** Total variance of the input (sum over all input dimensions), for the explained share. */
  readonly totalVariance: number;
}

/** Fitting options. */
export interface PcaOptions {
  /** Output dimension (default 32; the log keeps this many numbers per prediction). */
  readonly dim?: number;
  /** Subspace iterations (default 6: plenty for the fast-decaying spectra of CNN features). */
  readonly iterations?: number;
  /** Extra random directions beyond `dim` (default 10). */
  readonly oversample?: number;
  readonly seed?: number;
}

/** Fits PCA on `n` row-major embeddings of length `d`. */
export function fitPca(rows: ArrayLike<number>, n: number, d: number, opts: PcaOptions = {}): PcaProjection {
  const k = opts.dim ?? 32;
  if (rows.length !== n * d) throw new Error(`fitPca: ${rows.length} values is not ${n} rows x ${d}`);
  if (!(k >= 1 && k <= Math.min(n, d))) throw new Error(`fitPca: dim ${k} must be between 1 and min(rows ${n}, input dim ${d})`);
  const l = Math.min(k + (opts.oversample ?? 10), n, d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += rows[i * d + j]! / n;
  const x = new Float64Array(n * d);
  let total = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const v = rows[i * d + j]! - mean[j]!;
    x[i * d + j] = v;
    total += v * v;
  }
  const rand = mulberry32(opts.seed ?? 0x5eed);
  let q: Float64Array = Float64Array.from({ length: d * l }, () => rand() * 2 - 1);
  orthonormalizeColumns(q, d, l);
  const z = new Float64Array(n * l);
  for (let it = 0; it < (opts.iterations ?? 6); it++) {
    mulXQ(x, q, z, n, d, l);
    q = mulXtZ(x, z, n, d, l);
    orthonormalizeColumns(q, d, l);
  }
  mulXQ(x, q, z, n, d, l);
  // S = Z^T Z = Q^T X^T X Q: its eigenvectors rotate Q onto the principal directions.
  const s = new Float64Array(l * l);
  for (let a = 0; a < l; a++) for (let b = a; b < l; b++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += z[i * l + a]! * z[i * l + b]!;
    s[a * l + b] = t;
    s[b * l + a] = t;
  }
  const { values, vectors } = symmetricEigen(s, l);
  const components: number[][] = [];
  for (let c = 0; c < k; c++) {
    const comp = new Array<number>(d).fill(0);
    for (let j = 0; j < d; j++) {
      let t = 0;
      for (let a = 0; a < l; a++) t += q[j * l + a]! * vectors[a * l + c]!;
      comp[j] = t;
    }
    // Deterministic sign: the largest-magnitude entry is positive (sklearn's svd_flip does the same in spirit).
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(comp[j]!) > Math.abs(comp[big]!)) big = j;
    if (comp[big]! < 0) for (let j = 0; j < d; j++) comp[j] = -comp[j]!;
    components.push(comp);
  }
  const denom = Math.max(1, n - 1);
  return {
    kind: 'pca',
    inputDim: d,
    dim: k,
    mean: Array.from(mean),
    components,
    explainedVariance: Array.from(values.subarray(0, k), (v) => Math.max(0, v) / denom),
    totalVariance: total / denom,
  };
}

function mulXQ(x: Float64Array, q: Float64Array, out: Float64Array, n: number, d: number, l: number): void {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const o = i * l;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      if (v === 0) continue; // ReLU6 features are often exactly zero
      const qo = j * l;
      for (let a = 0; a < l; a++) out[o + a]! += v * q[qo + a]!;
    }
  }
}

function mulXtZ(x: Float64Array, z: Float64Array, n: number, d: number, l: number): Float64Array {
  const out = new Float64Array(d * l);
  for (let i = 0; i < n; i++) {
    const zo = i * l;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]!;
      if (v === 0) continue;
      const oo = j * l;
      for (let a = 0; a < l; a++) out[oo + a]! += v * z[zo + a]!;
    }
  }
  return out;
}

/** Projects one embedding (length `inputDim`) to `dim` numbers. */
export function project(p: PcaProjection, x: ArrayLike<number>): Float64Array {
  if (x.length !== p.inputDim) throw new Error(`project: embedding has ${x.length} values, the projection expects ${p.inputDim}`);
  const out = new Float64Array(p.dim);
  for (let c = 0; c < p.dim; c++) {
    const comp = p.components[c]!;
    let t = 0;
    for (let j = 0; j < p.inputDim; j++) t += comp[j]! * (x[j]! - p.mean[j]!);
    out[c] = t;
  }
  return out;
}

/** Projects `n` row-major embeddings; returns `n x dim` row-major. */
export function projectRows(p: PcaProjection, rows: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * p.dim);
  for (let i = 0; i < n; i++) {
    const row = Array.prototype.slice.call(rows, i * p.inputDim, (i + 1) * p.inputDim) as number[];
    out.set(project(p, row), i * p.dim);
  }
  return out;
}

/** Share of the input's variance the projection keeps. */
export function explainedShare(p: PcaProjection): number {
  return p.totalVariance > 0 ? p.explainedVariance.reduce((s, v) => s + v, 0) / p.totalVariance : 0;
}
