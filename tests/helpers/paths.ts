/** Where tests find the shared, read-only data and backbone (never copied into the repository). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const miniDataDir = path.resolve(process.env.FOOD101_DIR ?? path.join(repoRoot, '../shared/data/food101-mini'));
export const backbonePath = path.resolve(process.env.BACKBONE_ONNX ?? path.join(repoRoot, '../shared/models/mobilenetv2-12-int8.onnx'));
export const backboneSha256 = 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f';
/** The quantized feature node of the backbone (see ../shared/models/README.md). */
export const backboneFeatureNode = { tensor: '472_quantized', scale: '464_scale', zeroPoint: '464_zero_point' } as const;
