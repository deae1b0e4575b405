/** The `backbone:` section: the frozen pretrained network whose features the heads are trained on. */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { PreprocessSpecSchema } from '../../ml/preprocess/index.ts';
import { performanceKnob } from '../../runner/performance-knobs.ts';
import { defineSection } from '../../runner/step.ts';

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
      feature_node: Type.Object(
        {
          tensor: Type.String({ description: 'Tensor holding the (quantized) features, e.g. 472_quantized.' }),
          scale: Type.String({ description: 'Initializer with its quantization scale, e.g. 464_scale.' }),
          zero_point: Type.String({ description: 'Initializer with its quantization zero point, e.g. 464_zero_point.' }),
        },
        {
          additionalProperties: false,
          description: 'Where the (int8-quantized) features are: a DequantizeLinear output is added there at load time, in code (never a shipped, edited file).',
        },
      ),
      preprocessing: PreprocessSpecSchema,
      threads: performanceKnob(Type.Integer({ minimum: 1, default: 2, description: 'onnxruntime intra-op threads for feature extraction.' })),
    },
    { additionalProperties: false },
  ),
});

export type BackboneSection = Static<typeof backboneSection.schema>;
