/**
 * Embedding drift: the kernel two-sample test (maximum mean discrepancy, Gretton et al. 2012) with a Gaussian
 * kernel and a permutation test, on the PCA-projected embeddings the log keeps.
 *
 * Why MMD and not Evidently's domain classifier (ROC AUC > 0.55): windows here are small (60-200 photos) and the
 * reference a few hundred. A classifier trained and scored on halves of that has an AUC whose noise alone crosses
 * 0.55 often, and its threshold has no stated false-alarm rate; fitting it also needs training choices
 * (regularisation, split, seed). The permutation test turns MMD into a p-value whose false-alarm rate is the
 * chosen alpha by construction, needs no training, and costs O(N^2 (dim + permutations)) for N pooled points:
 * measured 80 ms of CPU for 300 points (32 dims, 500 permutations) and 250 ms for 600, at load average 13.
 */
import { mulberry32 } from '../random.ts';
import type { DriftResult } from './stats/types.ts';

/** Options of the MMD test. */
export interface MmdOptions {
  /** Permutations for the p-value (default 500: resolution 0.002). */
  readonly permutations?: number;
  /** Drift when p < alpha (default 0.05). */
  readonly alpha?: number;
  readonly seed?: number;
  /**
   * Kernel bandwidth sigma in k(x, y) = exp(-|x - y|^2 / (2 sigma^2)). Default: the median pairwise distance of
   * the pooled sample (the median heuristic).
   */
  readonly bandwidth?: number;
}

/** MMD result: `score` is the permutation p-value, `statistic` the unbiased MMD^2 estimate. */
export interface MmdResult extends DriftResult {
  readonly method: 'mmd';
  readonly bandwidth: number;
}

/**
 * Tests whether `x` (n rows) and `y` (m rows), both row-major with `dim` columns, come from one distribution.
 */
export function mmdTest(x: ArrayLike<number>, n: number, y: ArrayLike<number>, m: number, dim: number, opts: MmdOptions = {}): MmdResult {
  if (n < 2 || m < 2) throw new Error(`mmdTest: each sample needs at least 2 rows (got ${n} and ${m})`);
  if (x.length !== n * dim || y.length !== m * dim) throw new Error(`mmdTest: sizes do not match rows x ${dim}`);
  const N = n + m;
  const pts = new Float64Array(N * dim);
  pts.set(Array.from(x));
  pts.set(Array.from(y), n * dim);
  const d2 = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += (pts[i * dim + c]! - pts[j * dim + c]!) ** 2;
    d2[i * N + j] = s;
    d2[j * N + i] = s;
  }
  const bandwidth = opts.bandwidth ?? medianDistance(d2, N);
  const gamma = 1 / (2 * Math.max(bandwidth, 1e-12) ** 2);
  const k = d2.map((v) => Math.exp(-gamma * v)); // the diagonal becomes exp(0) = 1; the statistic skips it
  const labels = new Uint8Array(N);
  for (let i = n; i < N; i++) labels[i] = 1;
  const observed = mmd2Unbiased(k, N, labels, n, m);
  const rand = mulberry32(opts.seed ?? 0x33d);
  const perms = opts.permutations ?? 500;
  let atLeast = 0;
  const perm = Uint8Array.from(labels);
  for (let p = 0; p < perms; p++) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t;
    }
    if (mmd2Unbiased(k, N, perm, n, m) >= observed) atLeast++;
  }
  const pValue = (atLeast + 1) / (perms + 1);
  const alpha = opts.alpha ?? 0.05;
  return { method: 'mmd', score: pValue, threshold: alpha, drifted: pValue < alpha, statistic: observed, bandwidth };
}

/** Unbiased MMD^2 from the pooled kernel matrix and group labels (0 = first sample, 1 = second). */
function mmd2Unbiased(k: Float64Array, N: number, labels: Uint8Array, n: number, m: number): number {
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < N; i++) {
    const li = labels[i]!;
    const row = i * N;
    for (let j = i + 1; j < N; j++) {
      const v = k[row + j]!;
      const lj = labels[j]!;
      if (li !== lj) sxy += v;
      else if (li === 0) sxx += v;
      else syy += v;
    }
  }
  return (2 * sxx) / (n * (n - 1)) + (2 * syy) / (m * (m - 1)) - (2 * sxy) / (n * m);
}

/** Median of the off-diagonal pairwise distances (from squared distances). */
function medianDistance(d2: Float64Array, N: number): number {
  const vals = new Float64Array((N * (N - 1)) / 2);
  let t = 0;
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) vals[t++] = d2[i * N + j]!;
  vals.sort();
  const mid = vals.length >> 1;
  const med = vals.length % 2 ? vals[mid]! : (vals[mid - 1]! + vals[mid]!) / 2;
  return Math.sqrt(med);
}
