/**
 * Stage `aggregate`: the original project's selection (loss-gap filter, fold means and stds, min-max normalised
 * score, best combination per architecture, then its best fold), evaluation of each pick on the test split, the
 * winner by a metric named in the YAML, an optional refit on the whole training split, and the summary + report.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { backendPreferences } from '../../ml/backends/preferences.ts';
import { CV_KEYS } from '../../ml/selection/cv-metrics.ts';
import { defineStep } from '../../runner/step.ts';
import { didYouMean } from '../../runner/config/suggest.ts';
import { architecturesSection } from '../sections/architectures.ts';
import { artifactsSection } from '../sections/artifacts.ts';
import { backboneSection } from '../sections/backbone.ts';

/** Test metrics a winner can be picked by (`test.<name>`): a selection on the test split, kept for comparison. */
const TEST_METRICS = ['accuracy', 'top5_accuracy', 'macro_precision', 'macro_recall', 'macro_f1', 'log_loss', 'roc_auc_macro'] as const;

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
      [...CV_KEYS.map((m) => `cv.${m}` as const), ...TEST_METRICS.map((m) => `test.${m}` as const)],
      {
        default: 'cv.accuracy',
        description: 'Metric that picks the winner among the architectures\' picks (log_loss: lower wins). cv.* are fold-averaged ' +
          'validation metrics: the test split is then only reported, never used to choose. test.* (the original project chose by ' +
          'test.macro_f1) select on the test split, so the winner\'s reported test score is optimistic.',
      },
    ),
    baseline: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'Architecture of the grid that every winner must beat on CV (e.g. a linear probe); a pick that does not ' +
        '(ties included) loses to it. The report shows the winner\'s margin over it. null: no baseline.',
    }),
    calibrate: Type.Boolean({
      default: true,
      description: 'Fit a temperature on the winner\'s out-of-fold validation logits and fold it into the exported model, so ' +
        'served probabilities are calibrated; the report shows the test ECE (15 bins) before and after.',
    }),
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
  version: 2,
  description: 'Select the best configuration per architecture over folds, evaluate on test, pick the winner, refit, report.',
  schema,
  needs: ['split', 'features', 'grid', 'train'],
  reads: [artifactsSection, architecturesSection, backboneSection],
  check(params, ctx) {
    const declared = Object.keys((ctx.section(architecturesSection) ?? {}) as Record<string, unknown>);
    if (params.baseline === null || params.baseline === undefined || declared.includes(params.baseline)) return [];
    return [{ path: ['baseline'], message: `baseline '${params.baseline}' is not declared under architectures:${didYouMean(params.baseline, declared)}` }];
  },
  resource: 'cpu',
  run: async (ctx, params) => (await import('./run.ts')).runAggregate(ctx, params),
});
