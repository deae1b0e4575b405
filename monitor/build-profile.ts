/**
 * A model version's reference profile, built from its test split (the reference sample) and a seeded subsample
 * of its training photos (where the PCA projection and class centroids are fitted: see
 * ml/monitoring/embedding-space.ts for why not on the reference), both observed through the exported model.
 */
import { mulberry32, shuffled } from '../ml/random.ts';
import { buildReferenceProfile, type ReferenceProfile } from '../ml/monitoring/profile.ts';
import { openObservingModel } from './observe-images.ts';

export interface LabelledPhoto {
  readonly file: string;
  readonly label: string;
}

export interface VersionProfileInput {
  /** The exported (or registered) model directory. */
  readonly modelDir: string;
  readonly test: readonly LabelledPhoto[];
  readonly train: readonly LabelledPhoto[];
  /** Projection dimension, 16-64 (default 32). */
  readonly dim?: number;
  /** Training photos observed to fit the space (default 400): the cost of registering grows with it. */
  readonly maxTrain?: number;
  /** Test photos kept as the reference (default 1000). */
  readonly maxTest?: number;
  readonly log?: (message: string) => void;
}

export async function buildVersionProfile(p: VersionProfileInput): Promise<ReferenceProfile> {
  const dim = p.dim ?? 32;
  if (!(dim >= 16 && dim <= 64)) throw new Error(`monitoring profile: projection dimension ${dim}; use 16-64`);
  const pick = <T>(xs: readonly T[], n: number) => (xs.length <= n ? [...xs] : shuffled([...xs], mulberry32(0x51ed)).slice(0, n));
  const train = pick(p.train, p.maxTrain ?? 400);
  const test = pick(p.test, p.maxTest ?? 1000);
  if (test.length < 20) throw new Error(`monitoring profile: the test split has ${test.length} photos; a reference needs at least 20`);
  const model = await openObservingModel(p.modelDir);
  try {
    const t0 = performance.now();
    const fit = await model.observe(train.map((x) => x.file));
    const ref = await model.observe(test.map((x) => x.file));
    const profile = buildReferenceProfile(
      ref.map((o, i) => ({ stats: o.stats, embedding: o.features, predictedClass: o.predictedClass, confidence: o.confidence, label: test[i]!.label })),
      { fitRecords: fit.map((o, i) => ({ embedding: o.features, label: train[i]!.label })), projectionDim: dim },
    );
    p.log?.(`monitoring profile: ${ref.length} test photos (reference), space fitted on ${fit.length} training photos, ${dim}-d projection keeps ${(profile.projectionExplained * 100).toFixed(0)}% of the variance, reference accuracy ${profile.accuracy.referenceAccuracy.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return profile;
  } finally {
    await model.release();
  }
}
