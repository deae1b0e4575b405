/**
 * Stage `split`: reads the data set, applies the subset, checks every image, hashes it, deals the training part
 * into stratified K folds and writes versioned manifests under data/processed/<dataset-version>/.
 */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { defineStep } from '../../runner/step.ts';
import { dataSection } from '../sections/data.ts';

const schema = Type.Object(
  {
    folds: Type.Integer({ minimum: 2, maximum: 20, default: 3, description: 'K of the stratified K-fold over the training part.' }),
    seed: Type.Integer({ default: 42, description: 'Seed of the fold assignment (same seed, same folds).' }),
  },
  { additionalProperties: false },
);

export type SplitParams = Static<typeof schema>;

export const splitStep = defineStep({
  name: 'split',
  // 2: records the dataset version in the data-versioning store.
  version: 2,
  description: 'Read the data set, check and hash every image, and write stratified K-fold manifests (a dataset version).',
  schema,
  reads: [dataSection],
  resource: 'cpu',
  inputs: (_params, ctx) => [ctx.resolvePath(ctx.section(dataSection).root)],
  async run(ctx, params) {
    const out = await (await import('./run.ts')).runSplit(ctx, params);
    await (await import('./record-version.ts')).recordDataVersion(ctx, out.result);
    return out;
  },
});
