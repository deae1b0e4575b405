/**
 * Stage `monitor`: one monitoring pass over the newest window of the prediction log (same as `pipeline monitor`),
 * alerts to the configured sinks, and the report (markdown + PNG plots) under `monitoring.report_dir`. Never
 * cached: every run looks at the log as it is now. Retraining is never started from here.
 */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { defineStep } from '../../runner/step.ts';
import { monitoringSchema } from '../serve/monitoring-schema.ts';

const schema = Type.Object(
  {
    model: Type.String({ default: 'food101', description: 'Registered model name whose predictions are monitored.' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Model version (default: the version of the newest logged prediction).' })),
    fail_on_alert: Type.Boolean({ default: false, description: 'Fail the stage when an alert fires (for CI or a scheduled job that pages).' }),
    monitoring: monitoringSchema,
  },
  { additionalProperties: false },
);

export type MonitorParams = Static<typeof schema>;

export const monitorStep = defineStep({
  name: 'monitor',
  version: 1,
  description: "Evaluate the newest window of the prediction log against the served version's reference profile; alert and write the report.",
  schema,
  cache: false,
  run: async (ctx, p) => (await import('./run.ts')).runMonitor(ctx, p),
});
