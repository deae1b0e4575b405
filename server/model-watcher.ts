/**
 * Hot swap: polls the source's cheap `generation` and, when aliases moved and the alias now names another
 * version, loads that version beside the serving one and installs it only after it passed its smoke inference.
 * A failed load keeps the old model serving and is recorded in the slot (`/models` shows it).
 */
import type { ServerLogger } from './logger.ts';
import type { ModelHolder } from './model-holder.ts';
import { ModelLoadError, type LoadedModel } from './model-loader.ts';
import type { ModelSource, ResolvedModel } from './model-source.ts';

export interface WatcherOptions {
  readonly source: ModelSource;
  readonly holder: ModelHolder;
  readonly name: string;
  /** The alias (or version) this watcher keeps loaded; also the holder's slot key. */
  readonly ref: string;
  readonly pollMs: number;
  readonly load: (m: ResolvedModel) => Promise<LoadedModel>;
  readonly log: ServerLogger;
  /** Called after a successful install (metrics). */
  readonly onInstalled?: (model: LoadedModel, previous: LoadedModel | undefined) => void;
  readonly onFailed?: (err: unknown) => void;
}

export class ModelWatcher {
  readonly #o: WatcherOptions;
  #timer: NodeJS.Timeout | undefined;
  #lastGeneration: number | undefined;
  #lastFailure = '';
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(opts: WatcherOptions) {
    this.#o = opts;
  }

  /** Loads the alias now and then polls every `pollMs` (0: never). Resolves after the first attempt. */
  start(): Promise<void> {
    const first = this.check();
    if (this.#o.pollMs > 0) {
      this.#timer = setInterval(() => void this.check(), this.#o.pollMs);
      this.#timer.unref();
    }
    return first;
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#chain;
  }

  /** One poll; polls never overlap (a slow load delays the next one). Never rejects. */
  check(): Promise<void> {
    this.#chain = this.#chain.then(() => (this.#stopped ? undefined : this.#check())).catch((err: unknown) => this.#fail(null, err));
    return this.#chain;
  }

  async #check(): Promise<void> {
    const { source, holder, name, ref } = this.#o;
    const generation = await source.generation(name);
    const current = holder.current(ref);
    // Nothing moved: keep what serves (a model whose worker is restarting heals by itself). Without a model, or
    // with one whose worker could not be restarted, retry every poll.
    const usable = current !== undefined && current.status() !== 'failed';
    if (usable && generation === this.#lastGeneration) return;
    this.#lastGeneration = generation;
    const resolved = await source.resolve(name, ref);
    if (!resolved) {
      if (!current) this.#fail(null, new Error(`model '${name}' has no version under '${ref}' yet`), 'resolve');
      return;
    }
    if (usable && resolved.version === current.version && resolved.sha256.toLowerCase() === current.sha256) return;
    if (current && !usable) this.#o.log.error(`${ref}: ${name} v${current.version} stopped working (its inference worker could not be restarted); reloading it`);
    let model: LoadedModel;
    try {
      model = await this.#o.load(resolved);
    } catch (err) {
      this.#o.onFailed?.(err);
      this.#fail(resolved.version, err);
      return;
    }
    if (this.#stopped) {
      await model.dispose();
      return;
    }
    const previous = holder.install(ref, model);
    this.#lastFailure = '';
    const sha = `sha256 ${model.sha256.slice(0, 12)}`;
    this.#o.log.info(
      !previous
        ? `${ref}: loaded ${name} v${model.version} (${sha})`
        : previous.version === model.version
          ? `${ref}: reloaded ${name} v${model.version} (${sha}${previous.sha256 !== model.sha256 ? `, was ${previous.sha256.slice(0, 12)}` : ''})`
          : `${ref}: swapped ${name} v${previous.version} -> v${model.version} (${sha})`,
    );
    this.#o.onInstalled?.(model, previous);
  }

  #fail(version: number | null, err: unknown, step?: string): void {
    const message = err instanceof Error ? err.message : String(err);
    const failure = {
      at: new Date().toISOString(),
      version: err instanceof ModelLoadError ? err.version : version,
      step: err instanceof ModelLoadError ? err.step : (step ?? 'poll'),
      message,
    };
    this.#o.holder.recordFailure(this.#o.ref, failure);
    // Log each distinct failure once, not every poll.
    if (message !== this.#lastFailure) {
      const serving = this.#o.holder.current(this.#o.ref);
      this.#o.log.warn(`${this.#o.ref}: ${message}${serving ? ` (still serving v${serving.version})` : ''}`);
    }
    this.#lastFailure = message;
  }
}
