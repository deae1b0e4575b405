/** The promotion gate as the pipeline file states it (register stage `with.gate`), shared with the CLI. */
import { Type, type Static } from '../../runner/schema-builder.ts';

export const gateSchema = Type.Object(
  {
    metric: Type.String({ pattern: '^test\\.[a-z0-9_]+$', default: 'test.accuracy', description: 'Registered test metric compared at promotion (e.g. test.accuracy).' }),
    min_delta: Type.Number({ default: 0, description: 'The challenger must beat the champion by more than this.' }),
    higher_is_better: Type.Optional(Type.Boolean({ description: 'Direction of the metric (default: lower is better for names ending in loss).' })),
  },
  { default: {}, additionalProperties: false, description: 'Promotion gate: `pipeline registry promote` refuses a challenger that does not beat the champion.' },
);

export type Gate = Static<typeof gateSchema>;

export function gateOptions(gate: Gate): { metric: string; minDelta: number; higherIsBetter: boolean } {
  return { metric: gate.metric, minDelta: gate.min_delta, higherIsBetter: gate.higher_is_better ?? !gate.metric.endsWith('loss') };
}
