/**
 * A rollout spec as the controller runs it: the pipeline file's `serve.with.rollout` (validated by
 * `steps/serve/rollout-schema.ts`) with the defaults of its strategy filled in and its cross references checked.
 */
import type { AnalysisTemplate, RolloutSpecInput, RolloutStepSpec } from '../steps/serve/rollout-schema.ts';
import type { RolloutStrategy } from '../server/control-ports.ts';

export type { AnalysisTemplate, AnalysisMetricSpec, RolloutStepSpec } from '../steps/serve/rollout-schema.ts';

export interface RolloutSpec {
  readonly strategy: RolloutStrategy;
  readonly steps: readonly RolloutStepSpec[];
  readonly analysis: Readonly<Record<string, AnalysisTemplate>>;
  readonly ab: { readonly min_samples: number; readonly alpha: number };
  readonly gate: { readonly force: boolean };
}

/** Built in, overridable by a template of the same name. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, AnalysisTemplate>> = {
  health: {
    failure_limit: 1,
    inconclusive_limit: 6,
    interval: 5,
    metrics: [
      { metric: 'error_rate', max: 0.01 },
      { metric: 'latency_p99_ms', max_ratio_to_stable: 2 },
      { metric: 'feedback_accuracy', min_delta_to_stable: -0.02, min_samples: 30 },
    ],
  },
  shadow: {
    failure_limit: 0,
    inconclusive_limit: 6,
    interval: 5,
    metrics: [
      { metric: 'error_rate', max: 0.01 },
      { metric: 'latency_p99_ms', max_ratio_to_stable: 2 },
      { metric: 'agreement_with_stable', min: 0.5 },
    ],
  },
};

/** Argo-style defaults: a little traffic, look, more traffic, look, promote. */
export const DEFAULT_STEPS: Readonly<Record<RolloutStrategy, readonly RolloutStepSpec[]>> = {
  canary: [
    { mirror: 50 }, { weight: 10 }, { pause: { requests: 100 } }, { analysis: 'health' },
    { weight: 50 }, { pause: { requests: 100 } }, { analysis: 'health' }, { promote: true },
  ],
  shadow: [{ mirror: 100 }, { pause: { requests: 200 } }, { analysis: 'shadow' }],
  ab: [{ weight: 50 }, { promote: true }],
};

export class RolloutSpecError extends Error {}

/** What the schema cannot check: analysis names, steps that make no sense for the strategy (paths under the spec). */
export function specIssues(input: Partial<RolloutSpecInput>): { path: (string | number)[]; message: string }[] {
  const strategy = input.strategy ?? 'canary';
  const steps = input.steps ?? DEFAULT_STEPS[strategy];
  const analysis = { ...BUILTIN_TEMPLATES, ...(input.analysis ?? {}) };
  const issues: { path: (string | number)[]; message: string }[] = [];
  steps.forEach((s, i) => {
    if ('analysis' in s && !analysis[s.analysis]) {
      issues.push({ path: ['steps', i, 'analysis'], message: `analysis '${s.analysis}' is not defined: define it under rollout.analysis or use one of: ${Object.keys(analysis).join(', ')}` });
    }
    if (strategy === 'shadow' && 'weight' in s && s.weight > 0) {
      issues.push({ path: ['steps', i, 'weight'], message: `a shadow rollout never gives the candidate primary traffic (weight ${s.weight}): use mirror, or strategy canary` });
    }
  });
  return issues;
}

/** Fills defaults; throws RolloutSpecError on what `specIssues` finds. */
export function normalizeSpec(input: Partial<RolloutSpecInput> & { strategy?: RolloutStrategy }, where = 'serve.with.rollout'): RolloutSpec {
  const strategy = input.strategy ?? 'canary';
  const steps = input.steps ?? DEFAULT_STEPS[strategy];
  const analysis = { ...BUILTIN_TEMPLATES, ...(input.analysis ?? {}) };
  const issues = specIssues(input);
  if (issues.length) throw new RolloutSpecError(issues.map((i) => `${where}.${i.path.join('.')}: ${i.message}`).join('; '));
  return {
    strategy,
    steps,
    analysis,
    ab: { min_samples: input.ab?.min_samples ?? 200, alpha: input.ab?.alpha ?? 0.05 },
    gate: { force: input.gate?.force ?? false },
  };
}

/** `weight 20`, `mirror 100`, `pause 200 requests`, `analysis health`, `promote`. */
export function stepLabel(s: RolloutStepSpec): string {
  if ('weight' in s) return `weight ${s.weight}`;
  if ('mirror' in s) return `mirror ${s.mirror}`;
  if ('analysis' in s) return `analysis ${s.analysis}`;
  if ('promote' in s) return 'promote';
  const p = s.pause as { requests?: number; seconds?: number };
  return p.requests !== undefined ? `pause ${p.requests} requests` : p.seconds !== undefined ? `pause ${p.seconds} s` : 'pause (until resumed)';
}

/** Variant names per strategy: [stable, candidate]. */
export function variantNames(strategy: RolloutStrategy): readonly [string, string] {
  return strategy === 'ab' ? ['a', 'b'] : strategy === 'shadow' ? ['stable', 'shadow'] : ['stable', 'canary'];
}
