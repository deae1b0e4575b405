/**
 * The embedding space a profile works in: the PCA projection and the class centroids, fitted on a set other than
 * the reference sample they are compared with (normally the model's training photos).
 *
 * Why not the reference itself: with ~100 reference photos and 1280 dimensions, a PCA fitted on them captures
 * their own noise, so their projections are larger than those of any new photo, and an MMD test then "detects"
 * drift in perfectly ordinary windows (measured here: p = 0.004 on ordinary photos). Distances to centroids fitted
 * on the reference are likewise too small. Fitting on other photos makes reference and window projections
 * equally out-of-sample.
 */
import { fitClassGaussian, type ClassGaussian } from './class-gaussian.ts';
import { fitPca, project, type PcaProjection } from './pca.ts';

/** A labelled embedding the space is fitted on. */
export interface FitRecord {
  readonly embedding: ArrayLike<number>;
  readonly label: string;
}

/** Projection plus class model. JSON-serialisable. */
export interface EmbeddingSpace {
  readonly projection: PcaProjection;
  readonly classes: ClassGaussian;
}

/** Fits the projection (default 32 dims) and the class-Gaussian model on labelled embeddings. */
export function fitEmbeddingSpace(records: readonly FitRecord[], opts: { dim?: number; seed?: number; shrinkage?: number } = {}): EmbeddingSpace {
  const n = records.length;
  if (n < 20) throw new Error(`fitEmbeddingSpace: ${n} labelled embeddings; need at least 20 (e.g. the training split's features)`);
  const d = records[0]!.embedding.length;
  const flat = new Float64Array(n * d);
  records.forEach((r, i) => {
    if (r.embedding.length !== d) throw new Error(`fitEmbeddingSpace: record ${i} has a ${r.embedding.length}-d embedding, record 0 has ${d}`);
    flat.set(Array.from(r.embedding), i * d);
  });
  const k = Math.min(opts.dim ?? 32, n - 1, d);
  const projection = fitPca(flat, n, d, { dim: k, seed: opts.seed });
  const rows = new Float64Array(n * k);
  records.forEach((r, i) => rows.set(project(projection, r.embedding), i * k));
  return { projection, classes: fitClassGaussian(rows, records.map((r) => r.label), k, opts.shrinkage === undefined ? {} : { shrinkage: opts.shrinkage }) };
}
