/**
 * The small dense linear algebra monitoring needs, on row-major Float64Arrays: Gram-Schmidt, a symmetric
 * eigensolver for matrices of a few dozen rows (cyclic Jacobi) and Cholesky. The big products (n x 1280) are
 * written as plain loops in pca.ts; a matrix library would not make those faster in JS.
 */

/** Orthonormalises the `cols` columns of a row-major `rows x cols` matrix in place (modified Gram-Schmidt, twice). */
export function orthonormalizeColumns(m: Float64Array, rows: number, cols: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < cols; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += m[r * cols + c]! * m[r * cols + p]!;
        for (let r = 0; r < rows; r++) m[r * cols + c]! -= dot * m[r * cols + p]!;
      }
      let norm = 0;
      for (let r = 0; r < rows; r++) norm += m[r * cols + c]! ** 2;
      norm = Math.sqrt(norm);
      // A column that vanished (rank-deficient input) stays zero rather than becoming NaN.
      const inv = norm > 1e-300 ? 1 / norm : 0;
      for (let r = 0; r < rows; r++) m[r * cols + c]! *= inv;
    }
  }
}

/**
 * Eigen-decomposition of a symmetric `n x n` matrix by cyclic Jacobi rotations. Returns eigenvalues in
 * descending order and the matching eigenvectors as the columns of a row-major `n x n` matrix.
 */
export function symmetricEigen(sym: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(sym);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!, akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!, aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!, vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors[r * n + c] = v[r * n + order[c]!]!;
  return { values, vectors };
}

/** Lower-triangular Cholesky factor L of a symmetric positive-definite `n x n` matrix (A = L L^T). */
export function cholesky(spd: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = spd[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${i} = ${s}); raise the shrinkage`);
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  }
  return l;
}

/** Solves L y = b for lower-triangular L (forward substitution); returns y. */
export function forwardSolve(l: ArrayLike<number>, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  return y;
}
