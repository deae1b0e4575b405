/**
 * Preprocessing for families trained from pixels (`cnn`): the backbone's preprocessing scaled to the net's input
 * size S (same framing: the shorter side is resized by resize/crop x S, then a centre S x S crop), so the one
 * preprocessing function serves them too, and export writes exactly this spec beside the model.
 */
import type { PreprocessSpec } from '../../ml/preprocess/index.ts';

export function pixelSpec(backbone: PreprocessSpec, size: number): PreprocessSpec {
  return { ...backbone, resize: Math.round((size * backbone.resize) / backbone.crop), crop: size };
}
