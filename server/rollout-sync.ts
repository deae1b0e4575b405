/**
 * Every replica reads its model's rollout from the store every `pollMs` and routes by it, so N replicas agree
 * within one poll; the same loop turns the controller (which acts only where it holds the lease) and refreshes
 * the per-variant gauges. Never throws: a store that cannot be read keeps the last state, logged once.
 */
import type { ServerLogger } from './logger.ts';
import type { ServerMetrics } from './metrics.ts';
import type { RoutingState, ServerRollouts } from './rollout-port.ts';
import type { VariantRouter } from './variant-router.ts';

export interface RolloutSyncDeps {
  readonly rollouts: ServerRollouts;
  readonly modelName: string;
  readonly router: VariantRouter;
  readonly metrics: ServerMetrics;
  readonly log: ServerLogger;
  readonly pollMs: number;
}

export class RolloutSync {
  readonly #d: RolloutSyncDeps;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #lastError = '';
  #stopped = false;

  constructor(deps: RolloutSyncDeps) {
    this.#d = deps;
  }

  start(): Promise<void> {
    const first = this.sync();
    if (this.#d.pollMs > 0) {
      this.#timer = setInterval(() => void this.sync(), this.#d.pollMs);
      this.#timer.unref();
    }
    return first;
  }

  /** One round: controller tick, read the state, route by it. Rounds never overlap. */
  sync(): Promise<void> {
    this.#chain = this.#chain.then(() => (this.#stopped ? undefined : this.#sync()));
    return this.#chain;
  }

  async #sync(): Promise<void> {
    const { rollouts, modelName, router, metrics } = this.#d;
    try {
      await rollouts.tick?.(modelName);
      const state = await rollouts.active(modelName);
      await router.update(state);
      this.#gauges(state);
      if (state && rollouts.gauges) for (const g of await rollouts.gauges(modelName)) metrics.variants.setQuality(g.variant, g.agreement, g.feedbackAccuracy);
      this.#lastError = '';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.#lastError) this.#d.log.warn(`rollout state: ${message} (routing by the last state read)`);
      this.#lastError = message;
    }
  }

  #gauges(s: RoutingState | null): void {
    if (!s) return this.#d.metrics.variants.setRouting([], -1);
    this.#d.metrics.variants.setRouting([{ variant: s.variants[0], weight: 100 - s.weight }, { variant: s.variants[1], weight: s.weight }], s.currentStep);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#chain;
  }
}
