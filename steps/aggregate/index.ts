/**
 * Stage `aggregate`: the original project's selection (loss-gap filter, fold means and stds, min-max normalised
 * score, best combination per architecture, then its best fold), evaluation of each pick on the test split, the
 * winner by a metric named in the YAML, an optional refit on the whole training split, and the summary + report.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { backendPreferences } from '../../ml/backends/preferences.ts';
import { defineStep } from '../../runner/step.ts';
import { artifactsSection } from '../sections/artifacts.ts';
import { backboneSection } from '../sections/backbone.ts';

/** Test metrics a winner can be picked by (`test.<name>`). */
const METRICS = ['accuracy', 'top5_accuracy', 'macro_precision', 'macro_recall', 'macro_f1', 'log_loss', 'roc_auc_macro'] as const;

const schema = Type.Object(
  {
    max_loss_gap: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
      default: 0.25,
      description: 'Drop runs whose |train_loss - val_loss| exceeds this (the original project used 0.25); null disables the filter.',
    }),
    score_weights: Type.Object(
      {
        accuracy: Type.Number({ minimum: 0, default: 0.7, description: 'Weight of the normalised mean val_acc.' }),
        loss: Type.Number({ minimum: 0, default: 0.3, description: 'Weight of 1 - normalised mean val_loss.' }),
      },
      { default: {}, additionalProperties: false, description: 'Score = accuracy x norm(val_acc) + loss x (1 - norm(val_loss)).' },
    ),
    winner_by: StringEnum(
      METRICS.map((m) => `test.${m}` as const),
      { default: 'test.macro_f1', description: 'Test metric that picks the winner among the architectures\' picks (log_loss: lower wins).' },
    ),
    refit: Type.Boolean({ default: true, description: 'Retrain the winning configuration on the whole training split before export.' }),
    backend: StringEnum(
      backendPreferences,
      { default: 'auto', description: 'tfjs backend for the refit (see train).' },
    ),
  },
  { additionalProperties: false },
);

export type AggregateParams = Static<typeof schema>;

export const aggregateStep = defineStep({
  name: 'aggregate',
  version: 1,
  description: 'Select the best configuration per architecture over folds, evaluate on test, pick the winner, refit, report.',
  schema,
  needs: ['split', 'features', 'grid', 'train'],
  reads: [artifactsSection, backboneSection],
  resource: 'cpu',
  run: async (ctx, params) => (await import('./run.ts')).runAggregate(ctx, params),
});
