/**
 * The metadata_props written into the exported ONNX file. Content only: the same trained model on the same data
 * gives the same bytes, so the registry recognises an identical model by its sha256. Bookkeeping (the tracking run
 * id, the selection run, times) belongs to the registry's lineage, never to the artifact.
 */
import type { PreprocessSpec } from '../../ml/preprocess/index.ts';

export interface ModelMetadataInput {
  readonly classes: readonly string[];
  readonly preprocessing: PreprocessSpec & { readonly id: string };
  readonly datasetVersion: string;
  readonly architecture: string;
  readonly family: string;
  /** Feature families with flip in the exported graph. */
  readonly testTimeFlip: boolean;
  /** The calibration temperature folded into the final layer (1: none). */
  readonly temperature: number;
  /** The test-time views averaged in the graph (overrides testTimeFlip). */
  readonly testTimeViews?: readonly string[];
}

/** 'none', 'flip' (the views center + flip), or the extra views listed: 'flip,zoom192,zoom192_flip'. */
function ttaLabel(m: ModelMetadataInput): string {
  const extra = (m.testTimeViews ?? (m.testTimeFlip ? ['center', 'flip'] : ['center'])).filter((v) => v !== 'center');
  return extra.length === 0 ? 'none' : extra.join(',');
}

export function modelMetadata(m: ModelMetadataInput): Record<string, string> {
  return {
    labels: JSON.stringify(m.classes),
    preprocessing: JSON.stringify(m.preprocessing),
    dataset_version: m.datasetVersion,
    architecture: m.architecture,
    family: m.family,
    test_time_augmentation: ttaLabel(m),
    calibration_temperature: String(m.temperature),
  };
}
