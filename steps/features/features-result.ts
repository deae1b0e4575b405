import type { PreprocessSpec } from '../../ml/preprocess/index.ts';

/** What the features stage hands to later stages. */
export interface FeaturesResult {
  /** The feature space: vectors are keyed by it in the feature store. */
  readonly space: { readonly backboneSha256: string; readonly preprocessingId: string };
  readonly dim: number;
  /** Views stored for training images. */
  readonly views: readonly string[];
  /** Views stored for validation and test images, averaged at evaluation and in the exported graph (TTA). */
  readonly tta: readonly string[];
  readonly preprocessing: PreprocessSpec;
  readonly computed: number;
  readonly reused: number;
  /** Images that could not be decoded: excluded from training and evaluation. */
  readonly failed: readonly { readonly path: string; readonly sha256: string; readonly reason: string }[];
}
