/** Rollouts: spec, store, traffic policy, analysis, controller, control port. */
import type { Stores } from '../stores/index.ts';
import { RolloutService } from './control.ts';
import { RolloutController } from './controller.ts';
import type { Notifier } from './notify.ts';

export { normalizeSpec, stepLabel, variantNames, DEFAULT_STEPS, BUILTIN_TEMPLATES, type RolloutSpec } from './spec.ts';
export { RolloutController, describeAb, describeReport, type TickResult } from './controller.ts';
export { RolloutService, variantViews, type RolloutStatus } from './control.ts';
export { startRollout, RolloutStartError } from './start.ts';
export { choose, bucket, type TrafficPolicy, type TrafficChoice } from './traffic.ts';
export { sinkNotifier, rolloutNotice, type Notifier, type RolloutNotice } from './notify.ts';
export type { RolloutStore } from './store.ts';
export type { RolloutState, RolloutReport, VariantSummary, AbDecision } from './types.ts';

export interface RolloutRuntime {
  readonly controller: RolloutController;
  readonly service: RolloutService;
}

/** The controller and the control port over one set of stores. */
export function rolloutRuntime(stores: Pick<Stores, 'rollouts' | 'variantMetrics' | 'registry'>, opts: { notify?: Notifier; holderId?: string; leaseMs?: number; now?: () => number } = {}): RolloutRuntime {
  const controller = new RolloutController({ store: stores.rollouts, metrics: stores.variantMetrics, registry: stores.registry, ...opts });
  return { controller, service: new RolloutService(stores.rollouts, controller, opts.notify) };
}
