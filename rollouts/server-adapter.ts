/** The server's rollout port (server/rollout-port.ts) on the stores: routing state, controller tick, gauges, control. */
import type { RoutingState, ServerRollouts } from '../server/rollout-port.ts';
import type { Stores } from '../stores/index.ts';
import { rolloutRuntime, type RolloutRuntime } from './index.ts';
import type { Notifier } from './notify.ts';
import type { RolloutState } from './types.ts';

export function routingState(s: RolloutState): RoutingState {
  return {
    id: s.id, revision: s.revision, phase: s.phase, strategy: s.strategy, variants: s.variants, stableVersion: s.stableVersion,
    candidateVersion: s.candidateVersion, weight: s.weight, mirror: s.mirror, currentStep: s.currentStep,
  };
}

export interface ServerRolloutOptions {
  /** Run the controller in this process (it acts only while it holds the lease). Default true. */
  readonly controller?: boolean;
  readonly notify?: Notifier;
  readonly holderId?: string;
  readonly leaseMs?: number;
}

export function serverRollouts(stores: Pick<Stores, 'rollouts' | 'variantMetrics' | 'registry'>, opts: ServerRolloutOptions = {}): ServerRollouts & { runtime: RolloutRuntime } {
  const runtime = rolloutRuntime(stores, { notify: opts.notify, holderId: opts.holderId, leaseMs: opts.leaseMs });
  return {
    runtime,
    control: runtime.service,
    async active(modelName) {
      const s = await stores.rollouts.active(modelName);
      return s ? routingState(s) : null;
    },
    ...(opts.controller === false ? {} : { tick: async (modelName: string) => void (await runtime.controller.tick(modelName)) }),
    async gauges(modelName) {
      const s = await stores.rollouts.active(modelName);
      if (!s) return [];
      const r = await runtime.controller.report(s);
      return r.variants.map((v) => ({ variant: v.variant, agreement: v.agreement, feedbackAccuracy: v.feedbackAccuracy }));
    },
  };
}
