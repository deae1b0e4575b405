/**
 * Stage `train`: trains every grid run (or this shard's share, `--shard i/n`) on the best available tfjs backend,
 * two at a time on two cores (worker threads through the `cpu` pool), tracked in the tracking store. Runs already
 * finished with the same configuration are reused, so a train stage killed half-way resumes where it stopped.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { performanceKnob } from '../../runner/performance-knobs.ts';
import { backendPreferences } from '../../ml/backends/preferences.ts';
import { defineStep } from '../../runner/step.ts';
import { artifactsSection } from '../sections/artifacts.ts';
import { backboneSection } from '../sections/backbone.ts';

const schema = Type.Object(
  {
    backend: StringEnum(
      backendPreferences,
      {
        default: 'auto',
        description: "tfjs backend: 'auto' picks tfjs-node-gpu, then tfjs-node, then wasm (heads only: it cannot train convolutions), then plain cpu.",
      },
    ),
    shards: performanceKnob(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 3,
        description:
          'Shards the grid is split into on Kubernetes: completions and parallelism of the Indexed Job `pipeline k8s render` writes (its --shards overrides this), each pod running --shard $JOB_COMPLETION_INDEX/N. A local run trains every shard unless given --shard i/n.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type TrainParams = Static<typeof schema>;

export const trainStep = defineStep({
  name: 'train',
  version: 1,
  description: 'Train every grid run (two at a time in worker threads), tracked with per-epoch metrics, weights and curves.',
  schema,
  needs: ['split', 'features', 'grid'],
  reads: [artifactsSection, backboneSection],
  resource: 'cpu',
  shardable: true,
  run: async (ctx, params) => (await import('./run.ts')).runTrain(ctx, params),
});
