/**
 * `serve.with.rollout`: how a new version is rolled out, in Argo Rollouts' vocabulary. The serve step plugs this
 * in with one line; `rollouts/spec.ts` gives the defaults and the cross-field checks (a step naming an analysis
 * template that does not exist, ...), and the controller (`rollouts/controller.ts`) runs it.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';

const percent = (description: string) => Type.Integer({ minimum: 0, maximum: 100, description });

/**
 * One step, one key. Declared as one object with optional keys (at most one) rather than a union: a typo then
 * gets "unknown key 'request' (allowed: requests, seconds)", not the first union branch's complaint.
 */
export const rolloutStepSchema = Type.Object(
  {
    mirror: Type.Optional(percent('Share of the stable variant\'s requests mirrored to the candidate after the answer is sent (never returned).')),
    weight: Type.Optional(percent('Share of primary traffic the candidate answers (sticky by X-User-Id, else the request id).')),
    pause: Type.Optional(
      Type.Object(
        {
          requests: Type.Optional(Type.Integer({ minimum: 1, description: 'Wait until this many requests were served since the step began.' })),
          seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Wait this long.' })),
        },
        { additionalProperties: false, maxProperties: 1, description: 'Wait: { requests: N }, { seconds: S }, or {} (until `pipeline rollout resume`).' },
      ),
    ),
    analysis: Type.Optional(Type.String({ minLength: 1, description: 'Name of an analysis template (under `analysis`) that must pass to go on.' })),
    promote: Type.Optional(Type.Literal(true, { description: 'Promote the candidate through the registry gate (A/B: if the test says it is better).' })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'One step: mirror, weight, pause, analysis or promote (one key).' },
);

export const ROLLOUT_METRICS = ['error_rate', 'latency_p99_ms', 'agreement_with_stable', 'mean_confidence', 'feedback_accuracy'] as const;

export const analysisMetricSchema = Type.Object(
  {
    metric: StringEnum(ROLLOUT_METRICS, { description: 'What is measured on the candidate over the step so far.' }),
    max: Type.Optional(Type.Number({ description: 'Fails above this value.' })),
    min: Type.Optional(Type.Number({ description: 'Fails below this value.' })),
    max_ratio_to_stable: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "Fails above this multiple of the stable variant's value." })),
    min_delta_to_stable: Type.Optional(Type.Number({ description: "Fails below the stable variant's value plus this (e.g. -0.02)." })),
    min_samples: Type.Optional(Type.Integer({ minimum: 1, description: 'Fewer observations than this: inconclusive (default 20; for feedback_accuracy, labelled requests).' })),
  },
  { additionalProperties: false },
);

export const analysisTemplateSchema = Type.Object(
  {
    metrics: Type.Array(analysisMetricSchema, { minItems: 1, description: 'Every metric must pass; any failing one fails the measurement.' }),
    failure_limit: Type.Integer({ minimum: 0, default: 0, description: 'Failed measurements tolerated; one more rolls the candidate back.' }),
    inconclusive_limit: Type.Integer({ minimum: 0, default: 3, description: 'Inconclusive measurements in a row before the rollout pauses for a person.' }),
    interval: Type.Number({ exclusiveMinimum: 0, default: 5, description: 'Seconds between measurements.' }),
  },
  { additionalProperties: false, description: 'An analysis template: metrics with thresholds, failure_limit, inconclusive_limit, interval.' },
);

export const rolloutSchema = Type.Object(
  {
    strategy: StringEnum(['shadow', 'ab', 'canary'] as const, { default: 'canary', description: 'shadow: mirror only; ab: split and a statistical decision on feedback; canary: growing weight with analysis.' }),
    steps: Type.Optional(Type.Array(rolloutStepSchema, { minItems: 1, description: 'Default per strategy (see docs: rollouts).' })),
    analysis: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), analysisTemplateSchema, { default: {}, description: 'Analysis templates by name; `health` is built in unless redefined.' }),
    ab: Type.Object(
      {
        min_samples: Type.Integer({ minimum: 10, default: 200, description: 'Labelled requests per variant before the test decides (fixed horizon).' }),
        alpha: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 0.5, default: 0.05, description: 'Two-sided significance level of the two-proportion z-test.' }),
      },
      { default: {}, additionalProperties: false, description: 'A/B decision on feedback accuracy at the `promote` step.' },
    ),
    gate: Type.Optional(
      Type.Object(
        { force: Type.Boolean({ default: false, description: "Promote even when the registry's offline gate (register.with.gate) refuses." }) },
        { additionalProperties: false, description: 'How promotion goes through the registry gate (register.with.gate).' },
      ),
    ),
  },
  { additionalProperties: false, description: 'How `pipeline rollout start` (and register.with.rollout) roll a new version out.' },
);

export type RolloutSpecInput = Omit<Static<typeof rolloutSchema>, 'steps'> & { steps?: RolloutStepSpec[] };
/** A step as code sees it: exactly one of the keys (the schema's minProperties/maxProperties). */
export type RolloutStepSpec =
  | { readonly mirror: number }
  | { readonly weight: number }
  | { readonly pause: { readonly requests?: number; readonly seconds?: number } }
  | { readonly analysis: string }
  | { readonly promote: true };
export type AnalysisTemplate = Static<typeof analysisTemplateSchema>;
export type AnalysisMetricSpec = Static<typeof analysisMetricSchema>;
