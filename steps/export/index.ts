/**
 * Stage `export`: the winner as one ONNX file (input `images` float32 [N,3,H,W], output `logits` [N,C], dynamic
 * batch), built in code: the backbone graph up to its feature node composed with the trained head, or the cnn's
 * layers mapped to ONNX ops. Beside it labels.json and preprocessing.json (also in the model's metadata_props).
 * A parity check against the tfjs path runs before anything is written; the stage fails if it does not hold.
 */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { defineStep } from '../../runner/step.ts';
import { backboneSection } from '../sections/backbone.ts';

const schema = Type.Object(
  {
    parity_tolerance: Type.Number({ exclusiveMinimum: 0, default: 1e-3, description: 'Largest allowed |logit difference| between onnxruntime and tfjs.' }),
    parity_images: Type.Integer({ minimum: 1, default: 8, description: 'Test photos used by the parity check.' }),
  },
  { additionalProperties: false },
);

export type ExportParams = Static<typeof schema>;

export const exportStep = defineStep({
  name: 'export',
  version: 4,
  description: 'Export the winner to ONNX (images -> logits), with labels and preprocessing, after a parity check.',
  schema,
  needs: ['split', 'features', 'aggregate'],
  reads: [backboneSection],
  resource: 'cpu',
  run: async (ctx, params) => (await import('./run.ts')).runExport(ctx, params),
});
