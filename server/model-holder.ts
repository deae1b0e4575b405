/**
 * The models being served, one slot per alias (`champion` now; `challenger` for shadow/A-B/canary later).
 * A request leases the slot's current model for its whole life: a hot swap changes what *new* requests get, and
 * the old model is released only when its last lease ends, so no request ever sees a swap halfway.
 */
import type { LoadedModel } from './model-loader.ts';

/** The last failed attempt to load a version into a slot (shown by `/models`). */
export interface SwapFailure {
  readonly at: string;
  readonly version: number | null;
  readonly step: string;
  readonly message: string;
}

export interface ModelLease {
  readonly model: LoadedModel;
  /** Idempotent. */
  release(): void;
}

interface Slot {
  current: LoadedModel | undefined;
  lastSwapError: SwapFailure | undefined;
}

export class ModelHolder {
  readonly #slots = new Map<string, Slot>();
  readonly #leases = new Map<LoadedModel, number>();
  /** Retirements waiting for the model's last lease (a model shared by two slots can be retired twice). */
  readonly #retiring = new Map<LoadedModel, number>();
  readonly #disposals = new Set<Promise<void>>();
  readonly #onError: (err: unknown) => void;
  readonly #release: (model: LoadedModel) => Promise<void>;

  /**
   * `release` ends one slot's use of a model once nothing runs on it: default `model.dispose()`; the model cache
   * (model-cache.ts) passes its reference-counted release, so two slots on one version share one session.
   */
  constructor(onError: (err: unknown) => void = () => {}, release: (model: LoadedModel) => Promise<void> = (m) => m.dispose()) {
    this.#onError = onError;
    this.#release = release;
  }

  #slot(alias: string): Slot {
    let s = this.#slots.get(alias);
    if (!s) this.#slots.set(alias, (s = { current: undefined, lastSwapError: undefined }));
    return s;
  }

  aliases(): string[] {
    return [...this.#slots.keys()];
  }

  current(alias: string): LoadedModel | undefined {
    return this.#slots.get(alias)?.current;
  }

  lastSwapError(alias: string): SwapFailure | undefined {
    return this.#slots.get(alias)?.lastSwapError;
  }

  /** Leases the alias's current model, or undefined while none is loaded. */
  acquire(alias: string): ModelLease | undefined {
    const model = this.#slots.get(alias)?.current;
    if (!model) return undefined;
    this.#leases.set(model, (this.#leases.get(model) ?? 0) + 1);
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#leases.get(model) ?? 1) - 1;
        if (left > 0) this.#leases.set(model, left);
        else {
          this.#leases.delete(model);
          if (this.#retiring.has(model)) this.#dispose(model);
        }
      },
    };
  }

  /** Makes `model` the alias's current one (atomically for new requests); the previous one retires. */
  install(alias: string, model: LoadedModel): LoadedModel | undefined {
    const slot = this.#slot(alias);
    const previous = slot.current;
    slot.current = model;
    slot.lastSwapError = undefined;
    // Each install holds one reference (model-cache.ts): a re-install of the same model releases the old one.
    if (previous) this.#retire(previous);
    return previous;
  }

  /** Empties the slot and forgets it (a rollout's candidate slot when the rollout ends); its model retires. */
  remove(alias: string): void {
    const slot = this.#slots.get(alias);
    if (!slot) return;
    this.#slots.delete(alias);
    if (slot.current) this.#retire(slot.current);
  }

  recordFailure(alias: string, failure: SwapFailure): void {
    this.#slot(alias).lastSwapError = failure;
  }

  /** In-flight leases per loaded or retiring model (for tests and /models). */
  leases(model: LoadedModel): number {
    return this.#leases.get(model) ?? 0;
  }

  #retire(model: LoadedModel): void {
    this.#retiring.set(model, (this.#retiring.get(model) ?? 0) + 1);
    if (!this.#leases.has(model)) this.#dispose(model);
  }

  #dispose(model: LoadedModel): void {
    const times = this.#retiring.get(model) ?? 0;
    this.#retiring.delete(model);
    const p = model.batcher
      .idle()
      .then(async () => {
        for (let i = 0; i < times; i++) await this.#release(model);
      })
      .catch(this.#onError)
      .finally(() => this.#disposals.delete(p));
    this.#disposals.add(p);
  }

  /** Retires every model and waits until all are released (call after in-flight requests finished). */
  async close(): Promise<void> {
    for (const slot of this.#slots.values()) {
      if (slot.current) this.#retire(slot.current);
      slot.current = undefined;
    }
    while (this.#disposals.size > 0) await Promise.all([...this.#disposals]);
  }
}
