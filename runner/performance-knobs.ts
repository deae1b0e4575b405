/**
 * Performance knobs (threads, batch sizes of inference, concurrency) change how fast a stage runs, not what it
 * produces, so they are not part of any cache key (DESIGN.md, house style 9): changing `decode_concurrency` must
 * not recompute every feature. A schema marks one with `x-performance: true` (see `performanceKnob`); the key is
 * computed from the value with those keys removed.
 */
import type { TSchema } from './schema-builder.ts';

export const PERFORMANCE_KEYWORD = 'x-performance';

/** Marks a property schema as a performance knob (not part of the cache key). */
export function performanceKnob<S extends TSchema>(schema: S): S {
  return { ...schema, [PERFORMANCE_KEYWORD]: true, description: `${schema.description ?? ''} Performance only: not part of the cache key.`.trim() };
}

type SchemaLike = { readonly properties?: Readonly<Record<string, SchemaLike>>; readonly [key: string]: unknown };

/** `value` without the keys its schema marks as performance knobs (at any depth of nested objects). */
export function withoutPerformanceKnobs(schema: unknown, value: unknown): unknown {
  const s = schema as SchemaLike | undefined;
  if (!s?.properties || !value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const prop = s.properties[k];
    if (prop?.[PERFORMANCE_KEYWORD] === true) continue;
    out[k] = prop ? withoutPerformanceKnobs(prop, v) : v;
  }
  return out;
}
