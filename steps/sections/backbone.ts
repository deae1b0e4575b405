/** The `backbone:` section: the frozen pretrained network whose features the heads are trained on. */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { PreprocessSpecSchema } from '../../ml/preprocess/index.ts';
import { performanceKnob } from '../../runner/performance-knobs.ts';
import { defineSection } from '../../runner/step.ts';
import { FEATURE_POOLS, type FeatureNode } from '../../ml/onnx/types.ts';

const featureNodeSchema = Type.Object(
  {
    tensor: Type.String({ description: 'Tensor holding the features, e.g. 472_quantized (int8) or a float tensor of a float model.' }),
    scale: Type.Optional(Type.String({ description: 'For a quantized tensor: the initializer with its scale, e.g. 464_scale. Omit for a float tensor.' })),
    zero_point: Type.Optional(Type.String({ description: 'For a quantized tensor: the initializer with its zero point, e.g. 464_zero_point. Omit for a float tensor.' })),
    pool: Type.Optional(
      StringEnum(FEATURE_POOLS, {
        default: 'auto',
        description: "'auto' averages a 4-D NCHW feature map over its positions (GlobalAveragePool) and keeps an [N, dim] tensor; 'average' / 'none' force it.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const backboneSection = defineSection({
  key: 'backbone',
  description: 'The pretrained ONNX backbone (verified by sha256), the node holding its features, and its preprocessing.',
  schema: Type.Object(
    {
      path: Type.String({
        minLength: 1,
        description: 'The ONNX file (relative to workdir). Use ${BACKBONE_ONNX:-...} to let an env var override it.',
      }),
      url: Type.Optional(
        Type.String({
          pattern: '^https?://',
          description: 'Where to download the file when `path` does not exist (it is then saved at `path`); the sha256 is checked either way.',
        }),
      ),
      sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Expected sha256 of the file: a mismatch stops the pipeline before any inference.' }),
      input: Type.String({ default: 'input', description: "Name of the graph's image input." }),
      feature_node: Type.Union([featureNodeSchema, Type.Array(featureNodeSchema, { minItems: 1 })], {
        description:
          'Where the features are: one tensor, or a list whose pooled features are concatenated in order (e.g. an earlier block as well as the last). ' +
          'The feature output is added at load time, in code (never a shipped, edited file).',
      }),
      preprocessing: PreprocessSpecSchema,
      threads: performanceKnob(Type.Integer({ minimum: 1, default: 2, description: 'onnxruntime intra-op threads for feature extraction.' })),
    },
    { additionalProperties: false },
  ),
});

export type BackboneSection = Static<typeof backboneSection.schema>;

/** The section's feature node(s) in the ONNX tooling's shape (camelCase, always a list). */
export function featureNodesOf(section: Pick<BackboneSection, 'feature_node'>): FeatureNode[] {
  const list = Array.isArray(section.feature_node) ? section.feature_node : [section.feature_node];
  return list.map((n) => ({ tensor: n.tensor, scale: n.scale, zeroPoint: n.zero_point, pool: n.pool ?? 'auto' }));
}
