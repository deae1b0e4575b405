/**
 * Stage `features`: runs the frozen backbone (onnxruntime-node) over every image of the dataset version and keeps
 * the 1280-d features in the feature store, keyed by (image sha256, backbone sha256, preprocessing id, view).
 * Only what the store lacks is computed: a second run over the same data does no inference at all.
 */
import fs from 'node:fs';
import { Type, type Static } from '../../runner/schema-builder.ts';
import { resolvePreprocessSpec, ViewsSpecSchema } from '../../ml/preprocess/spec.ts';
import { performanceKnob } from '../../runner/performance-knobs.ts';
import { defineStep } from '../../runner/step.ts';
import { backboneSection } from '../sections/backbone.ts';

const schema = Type.Object(
  {
    views: ViewsSpecSchema,
    tta: Type.Object(
      {
        flip: Type.Boolean({ default: false, description: 'Also the mirrored view: evaluation and the exported model average both (about +4 points here, 2x inference).' }),
        zoom: Type.Array(Type.Integer({ minimum: 8 }), {
          default: [],
          description:
            'Zoomed views: for each z, the centre z x z of the crop resized back to the crop size (and its mirror with flip), averaged with the others ' +
            'in evaluation and inside the exported graph. Each view costs one more backbone pass per request (BENCHMARKS.md).',
        }),
      },
      { default: {}, additionalProperties: false, description: 'Test-time augmentation for validation, test and serving.' },
    ),
    batch_size: performanceKnob(Type.Integer({ minimum: 1, default: 16, description: 'Images per onnxruntime run.' })),
    decode_concurrency: performanceKnob(Type.Integer({ minimum: 1, default: 32, description: 'Images decoded ahead of inference (sharp, libuv thread pool).' })),
  },
  { additionalProperties: false },
);

export type FeaturesParams = Static<typeof schema>;

export const featuresStep = defineStep({
  name: 'features',
  version: 2,
  description: 'Compute frozen-backbone features (and augmented views of training images) into the feature store.',
  schema,
  needs: ['split'],
  reads: [backboneSection],
  resource: 'cpu',
  inputs: (_params, ctx) => {
    const p = ctx.resolvePath(ctx.section(backboneSection).path);
    return fs.existsSync(p) ? [p] : [];
  },
  // A new decoder build or preprocessing code is a new feature space: the stage must run (and only compute what
  // the store lacks for that space), not be skipped as cached.
  // (Imported here, not at the top: the id loads sharp and the JPEG addon, which `pipeline --help` does not need.)
  fingerprint: async (_params, ctx) => {
    const { preprocessingId } = await import('../../ml/preprocess/id.ts');
    return { preprocessingId: preprocessingId(resolvePreprocessSpec(ctx.section(backboneSection).preprocessing)) };
  },
  run: async (ctx, params) => (await import('./run.ts')).runFeatures(ctx, params),
});
