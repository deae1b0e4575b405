/**
 * Models loaded once per (name, version, sha256), with reference counts: two slots on one version (the champion
 * and a rollout's stable variant, two aliases on one version) share one inference worker, one session set and one
 * batcher. The holder releases a slot's reference when it retires the model; the last release disposes it.
 */
import type { LoadedModel } from './model-loader.ts';
import type { ResolvedModel } from './model-source.ts';

interface Entry {
  model: Promise<LoadedModel>;
  refs: number;
}

export class ModelCache {
  readonly #entries = new Map<string, Entry>();
  readonly #byModel = new Map<LoadedModel, string>();
  readonly #load: (m: ResolvedModel) => Promise<LoadedModel>;

  constructor(load: (m: ResolvedModel) => Promise<LoadedModel>) {
    this.#load = load;
  }

  static key(m: { name: string; version: number; sha256: string }): string {
    return `${m.name}@${m.version}#${m.sha256.toLowerCase()}`;
  }

  /** The loaded model (loading it if no one holds it, or if the one held can no longer run), one more reference. */
  async acquire(m: ResolvedModel): Promise<LoadedModel> {
    const key = ModelCache.key(m);
    let entry = this.#entries.get(key);
    if (entry) {
      const model = await entry.model.catch(() => undefined);
      if (model && model.status() !== 'failed' && this.#entries.get(key) === entry) {
        entry.refs++;
        return model;
      }
    }
    entry = { model: this.#load(m), refs: 1 };
    this.#entries.set(key, entry);
    try {
      const model = await entry.model;
      this.#byModel.set(model, key);
      return model;
    } catch (err) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw err;
    }
  }

  /** Drops one reference; the last disposes the model. */
  async release(model: LoadedModel): Promise<void> {
    const key = this.#byModel.get(model);
    const entry = key === undefined ? undefined : this.#entries.get(key);
    if (!entry || (await entry.model.catch(() => undefined)) !== model) {
      // Replaced in the cache (it had failed) or never cached: it is this reference's alone.
      this.#byModel.delete(model);
      return model.dispose();
    }
    if (--entry.refs > 0) return;
    this.#entries.delete(key!);
    this.#byModel.delete(model);
    await model.dispose();
  }

  /** Models loaded now and their references (for /models and tests). */
  get size(): number {
    return this.#entries.size;
  }

  refs(model: LoadedModel): number {
    const key = this.#byModel.get(model);
    return (key && this.#entries.get(key)?.refs) || 0;
  }
}
