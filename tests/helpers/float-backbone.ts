/**
 * A second, different backbone built from the one we have: MobileNetV2-int8 rewritten as a float model
 * (ml/onnx/dequantize.ts). Its features are a float NCHW map (`627`, the last 1x1 convolution's output, pooled by
 * the feature node) or a float [N, 1280] tensor (`472_quantized`, keeping its int8-era name).
 */
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../lib/hash.ts';
import { dequantizeModel } from '../../ml/onnx/dequantize.ts';
import { decodeModel, encodeModel } from '../../ml/onnx/proto.ts';
import { backbonePath } from './paths.ts';

/** Writes `<dir>/mobilenetv2-float.onnx` and returns its path and sha256. */
export function writeFloatBackbone(dir: string): { path: string; sha256: string } {
  const bytes = encodeModel(dequantizeModel(decodeModel(fs.readFileSync(backbonePath))));
  const file = path.join(dir, 'mobilenetv2-float.onnx');
  fs.writeFileSync(file, bytes);
  return { path: file, sha256: sha256(bytes) };
}

/** The float model's feature map before pooling: [N, 1280, 7, 7]. */
export const floatFeatureMap = { tensor: '627' } as const;
