/**
 * What feature extraction needs from the feature store (implemented by `stores/feature-store.ts`; any object of
 * this shape works, e.g. an in-memory map in tests).
 */

/** A feature space: vectors are comparable only within one (backbone file, preprocessing) pair. */
export interface FeatureSpace {
  readonly backboneSha256: string;
  readonly preprocessingId: string;
}

export interface FeatureKey {
  readonly imageSha256: string;
  /** `center`, `flip`, `crop1`, ... */
  readonly view: string;
}

export interface FeatureRow extends FeatureKey {
  readonly vector: Float32Array;
}

export interface FeatureStorePort {
  /** The keys of `wanted` that have no vector in `space`, in the order given. */
  missing(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<FeatureKey[]>;
  /** Stores rows in one transaction. */
  put(space: FeatureSpace, rows: readonly FeatureRow[]): Promise<void>;
  /** Vectors row-major, in the order asked; throws naming the first missing key. */
  load(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<{ dim: number; data: Float32Array }>;
}
