/**
 * The reference profile of a model version: everything a monitored window is compared with, computed once from a
 * labelled reference set (the test split at register time) and kept as JSON with the version.
 */
import { fitConfidenceCalibration, type ConfidenceCalibration } from './cbpe.ts';
import { NUMERIC_IMAGE_STATS, type ImageStats, type NumericImageStat } from './image-stats.ts';
import { fitEmbeddingSpace, type EmbeddingSpace, type FitRecord } from './embedding-space.ts';
import { calibrateOutOfScope, type OutOfScopeModel } from './out-of-scope.ts';
import { explainedShare, project, type PcaProjection } from './pca.ts';
import { mulberry32, shuffled } from '../random.ts';

/** Bump when the profile's shape or meaning changes; readers refuse other versions. */
export const PROFILE_VERSION = 1;

/** One labelled reference prediction, with the full embedding (the profile fits the projection on these). */
export interface ReferenceRecord {
  readonly stats: ImageStats;
  /** Penultimate features (e.g. 1280 numbers). */
  readonly embedding: ArrayLike<number>;
  readonly predictedClass: string;
  /** Top-1 probability. */
  readonly confidence: number;
  /** True class. */
  readonly label: string;
}

/** The profile. JSON-serialisable; `version` first so readers can check it before anything else. */
export interface ReferenceProfile {
  readonly version: typeof PROFILE_VERSION;
  readonly size: number;
  /** Reference values of each numeric input statistic (a seeded subsample when the reference is larger). */
  readonly stats: Record<NumericImageStat, number[]>;
  /** Upload formats and how often each occurred. */
  readonly formats: Record<string, number>;
  readonly projection: PcaProjection;
  /** Share of embedding variance the projection keeps. */
  readonly projectionExplained: number;
  /** Projected reference embeddings for the embedding-drift test (a seeded subsample). */
  readonly embeddings: number[][];
  readonly predictedClasses: string[];
  readonly confidences: number[];
  readonly accuracy: ConfidenceCalibration;
  readonly outOfScope: OutOfScopeModel;
}

/** Profile options. */
export interface ProfileOptions {
  /**
   * Where the projection and centroids come from (see embedding-space.ts for why not the reference): an already
   * fitted space, or labelled embeddings to fit one on (normally the training split). Without either, the
   * reference is split in two halves: one fits the space, the other becomes the reference sample.
   */
  readonly space?: EmbeddingSpace;
  readonly fitRecords?: readonly FitRecord[];
  /** Projection dimension when the space is fitted here (16-64; default 32). */
  readonly projectionDim?: number;
  /** Reference embeddings kept for the MMD test (default 300: its cost grows with the square). */
  readonly maxEmbeddings?: number;
  /** Values kept per statistic (default 5000). */
  readonly maxValues?: number;
  /** Out-of-scope false-positive rate the threshold is calibrated to (default 0.05). */
  readonly outOfScopeFpr?: number;
  readonly seed?: number;
}

/** Rounds to 7 significant digits (float32 precision): halves the JSON and changes no verdict. */
const r7 = (v: number) => Number(v.toPrecision(7));

/** Builds the profile from labelled reference predictions. */
export function buildReferenceProfile(records: readonly ReferenceRecord[], opts: ProfileOptions = {}): ReferenceProfile {
  if (records.length < 20) throw new Error(`buildReferenceProfile: ${records.length} reference records; need at least 20 (the test split of the model, with labels)`);
  const seed = opts.seed ?? 0x9f1;
  let space = opts.space;
  let ref = records;
  if (!space && opts.fitRecords) space = fitEmbeddingSpace(opts.fitRecords, { dim: opts.projectionDim, seed });
  if (!space) {
    if (records.length < 40) throw new Error(`buildReferenceProfile: ${records.length} reference records and no fit set; without one the reference is split in two halves, so it needs at least 40 (or pass fitRecords: the training split's features)`);
    const order = shuffled([...records.keys()], mulberry32(seed));
    const half = order.length >> 1;
    space = fitEmbeddingSpace(order.slice(0, half).map((i) => records[i]!), { dim: opts.projectionDim, seed });
    ref = order.slice(half).sort((a, b) => a - b).map((i) => records[i]!);
  }
  const { projection } = space;
  const n = ref.length;
  ref.forEach((r, i) => {
    if (r.embedding.length !== projection.inputDim) throw new Error(`buildReferenceProfile: record ${i} has a ${r.embedding.length}-d embedding, the projection expects ${projection.inputDim}`);
  });
  const k = projection.dim;
  const projected = ref.map((r) => project(projection, r.embedding));
  const pick = (limit: number) => (n <= limit ? [...Array(n).keys()] : shuffled([...Array(n).keys()], mulberry32(seed)).slice(0, limit).sort((a, b) => a - b));
  const statIdx = pick(opts.maxValues ?? 5000);
  const stats = Object.fromEntries(NUMERIC_IMAGE_STATS.map((s) => [s, statIdx.map((i) => r7(ref[i]!.stats[s]))])) as Record<NumericImageStat, number[]>;
  const formats: Record<string, number> = {};
  for (const r of ref) formats[r.stats.format] = (formats[r.stats.format] ?? 0) + 1;
  const rows = new Float64Array(n * k);
  projected.forEach((p, i) => rows.set(p, i * k));
  return {
    version: PROFILE_VERSION,
    size: n,
    stats,
    formats,
    projection: { ...projection, mean: projection.mean.map(r7), components: projection.components.map((c) => c.map(r7)) },
    projectionExplained: explainedShare(projection),
    embeddings: pick(opts.maxEmbeddings ?? 300).map((i) => Array.from(projected[i]!, r7)),
    predictedClasses: ref.map((r) => r.predictedClass),
    confidences: ref.map((r) => r.confidence),
    accuracy: fitConfidenceCalibration(ref.map((r) => r.confidence), ref.map((r) => r.predictedClass === r.label)),
    outOfScope: calibrateOutOfScope(space.classes, rows, n, opts.outOfScopeFpr ?? 0.05),
  };
}

/** Checks a profile read from storage before use. */
export function assertProfile(p: unknown, where: string): asserts p is ReferenceProfile {
  const v = (p as { version?: unknown } | null)?.version;
  if (v !== PROFILE_VERSION) {
    throw new Error(`${where}: reference profile version ${JSON.stringify(v)}, this code reads version ${PROFILE_VERSION}; rebuild it with \`pipeline monitor profile <model>@<version>\``);
  }
}
