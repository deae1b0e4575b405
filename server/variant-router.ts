/**
 * Per request: which variant answers (by weight, sticky on a key) and whether the candidate also gets a mirror.
 * The stable variant is the app's own slot (the champion alias); the candidate gets a slot pinned to its version
 * (`v<N>`) while a rollout runs, loaded through the shared model cache. A candidate that is not loaded or not
 * healthy never fails a request: its share goes to the stable variant (counted as a fallback).
 */
import { choose } from '../rollouts/traffic.ts';
import type { ModelHolder } from './model-holder.ts';
import type { ModelWatcher } from './model-watcher.ts';
import type { RoutingState } from './rollout-port.ts';

export interface RouteTarget {
  readonly slot: string;
  readonly alias: string;
  readonly variant: string | null;
}

export interface RouteDecision {
  readonly primary: RouteTarget;
  readonly mirror: RouteTarget | null;
  /** The candidate was chosen but could not answer. */
  readonly fellBack: boolean;
}

export interface VariantRouterDeps {
  readonly holder: ModelHolder;
  /** The stable slot (the app's alias, `champion`). */
  readonly alias: string;
  /** A watcher keeping `ref` (a version number) loaded in the holder's slot of that name. */
  readonly watch: (ref: string) => ModelWatcher;
  readonly onChange?: (state: RoutingState | null, previous: RoutingState | null) => void;
}

export const candidateSlot = (version: number) => `v${version}`;

export class VariantRouter {
  readonly #d: VariantRouterDeps;
  #state: RoutingState | null = null;
  #candidate: { slot: string; watcher: ModelWatcher } | undefined;

  constructor(deps: VariantRouterDeps) {
    this.#d = deps;
  }

  get state(): RoutingState | null {
    return this.#state;
  }

  /** Applies a newly read rollout state: starts or stops the candidate's slot when the candidate changes. */
  async update(next: RoutingState | null): Promise<void> {
    const previous = this.#state;
    const wanted = next ? String(next.candidateVersion) : undefined;
    if (this.#candidate && this.#candidate.slot !== (wanted && candidateSlot(Number(wanted)))) {
      const old = this.#candidate;
      this.#candidate = undefined;
      await old.watcher.stop();
      this.#d.holder.remove(old.slot);
    }
    if (next && !this.#candidate) {
      const watcher = this.#d.watch(candidateSlot(next.candidateVersion));
      this.#candidate = { slot: candidateSlot(next.candidateVersion), watcher };
      void watcher.start();
    }
    this.#state = next;
    if (previous?.revision !== next?.revision || previous?.id !== next?.id) this.#d.onChange?.(next, previous);
  }

  /** Polls the candidate's slot now (tests). */
  async check(): Promise<void> {
    await this.#candidate?.watcher.check();
  }

  candidateReady(): boolean {
    return this.#candidate !== undefined && this.#d.holder.current(this.#candidate.slot)?.healthy() === true;
  }

  /** Slots that answer primary traffic now (all must be loaded for `/ready`). */
  primarySlots(): string[] {
    const s = this.#state;
    return s && s.weight > 0 && this.#candidate ? [this.#d.alias, this.#candidate.slot] : [this.#d.alias];
  }

  route(key: string): RouteDecision {
    const s = this.#state;
    const stable: RouteTarget = { slot: this.#d.alias, alias: this.#d.alias, variant: s ? s.variants[0] : null };
    if (!s || !this.#candidate) return { primary: stable, mirror: null, fellBack: false };
    const candidate: RouteTarget = { slot: this.#candidate.slot, alias: 'challenger', variant: s.variants[1] };
    const c = choose(s, key);
    const ready = this.candidateReady();
    if (c.candidate) return ready ? { primary: candidate, mirror: null, fellBack: false } : { primary: stable, mirror: null, fellBack: true };
    return { primary: stable, mirror: c.mirror && ready ? candidate : null, fellBack: false };
  }

  /** Role and traffic share per slot, for `/models`. */
  roles(): Map<string, { role: 'primary' | 'shadow'; variant: string | null; share: number; mirror: number }> {
    const s = this.#state;
    const out = new Map<string, { role: 'primary' | 'shadow'; variant: string | null; share: number; mirror: number }>();
    out.set(this.#d.alias, { role: 'primary', variant: s ? s.variants[0] : null, share: 100 - (s?.weight ?? 0), mirror: 0 });
    if (s && this.#candidate) {
      out.set(this.#candidate.slot, { role: s.weight > 0 ? 'primary' : 'shadow', variant: s.variants[1], share: s.weight, mirror: s.mirror });
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.#candidate?.watcher.stop();
  }
}
