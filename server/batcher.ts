/**
 * Micro-batching in front of one model. While a run is in progress, arrivals queue and go together in the next
 * run (up to `maxBatch`). Requests announce themselves when they start decoding (`announce()`), so the batcher
 * knows what is about to arrive: an idle model with nothing announced runs a request at once (no added latency
 * at 1 connection); with inputs announced, it waits for them at most `maxWaitMs` of idle time. With
 * `maxConcurrentRuns` > 1 (several inference workers) the next batch forms and starts while one computes. Bigger batches
 * cost less CPU per image (MobileNetV2-int8: ~4.0 ms alone, ~3.4 ms in fours), and on a 2-core box the CPU
 * saved goes to decoding the next images.
 */

/**
 * Runs the inputs as one batch; resolves to one output row per input, laid out back to back.
 * `idle`: this is a lone input with nothing else queued or announced (the model may use more threads).
 */
export type BatchInfer = (inputs: readonly Float32Array[], idle: boolean) => Promise<Float32Array | BatchOutput>;

/** A run's outputs: logits, and the penultimate features when the model has that second output. */
export interface BatchOutput {
  readonly logits: Float32Array;
  readonly features?: Float32Array;
}

/** One input's share of a run: its logits row and, when the model gives them, its features row. */
export interface BatchRow {
  readonly logits: Float32Array;
  readonly features?: Float32Array;
}

export interface BatcherOptions {
  /** Floats per input (3 x crop x crop). */
  readonly itemSize: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /**
   * Runs in flight at once (default 1): with several inference workers (session-pool.ts) the next batch starts
   * while the previous one computes.
   */
  readonly maxConcurrentRuns?: number;
  readonly infer: BatchInfer;
  /** Called after every run (metrics). */
  readonly onRun?: (n: number, seconds: number) => void;
}

/** An input being prepared; `withdraw()` if it will never be run (idempotent; `run` withdraws it too). */
export interface Announcement {
  withdraw(): void;
}

interface Pending {
  readonly input: Float32Array;
  resolve(row: BatchRow): void;
  reject(err: unknown): void;
}

export class Batcher {
  readonly #opts: BatcherOptions;
  readonly #maxRuns: number;
  #queue: Pending[] = [];
  #announced = 0;
  /** Runs in flight. */
  #running = 0;
  /** When the model last became idle with something queued (start of the wait window). */
  #idleSince = 0;
  #timer: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: BatcherOptions) {
    if (opts.maxBatch < 1) throw new Error(`maxBatch must be >= 1, got ${opts.maxBatch}`);
    const runs = opts.maxConcurrentRuns ?? 1;
    if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`maxConcurrentRuns must be an integer >= 1, got ${runs}`);
    this.#opts = opts;
    this.#maxRuns = runs;
  }

  /** Inputs waiting for a run. */
  get queued(): number {
    return this.#queue.length;
  }

  get busy(): boolean {
    return this.#running > 0 || this.#queue.length > 0;
  }

  /** Says an input is on its way (call before decoding it). */
  announce(): Announcement {
    this.#announced++;
    let live = true;
    return {
      withdraw: () => {
        if (!live) return;
        live = false;
        this.#announced--;
        // Someone may be waiting for this input: re-decide.
        this.#schedule();
      },
    };
  }

  /**
   * Queues one input (withdrawing its announcement); resolves to its output row. When `signal` aborts while the
   * input still waits in the queue, it leaves the queue (its batch slot goes to someone else) and the promise
   * rejects with the signal's reason; once its run has started, the run completes.
   */
  run(input: Float32Array, announcement?: Announcement, signal?: AbortSignal): Promise<Float32Array> {
    return this.runRow(input, announcement, signal).then((row) => row.logits);
  }

  /** As `run`, resolving to the logits and (when the model gives them) the penultimate features. */
  runRow(input: Float32Array, announcement?: Announcement, signal?: AbortSignal): Promise<BatchRow> {
    if (input.length !== this.#opts.itemSize) {
      announcement?.withdraw();
      return Promise.reject(new Error(`batcher: input has ${input.length} floats, expected ${this.#opts.itemSize}`));
    }
    if (signal?.aborted) {
      announcement?.withdraw();
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) this.#idleSince = performance.now();
      const onAbort = () => {
        const i = this.#queue.indexOf(item);
        if (i < 0) return; // already running
        this.#queue.splice(i, 1);
        reject(signal!.reason);
        this.#schedule();
        if (!this.busy) for (const w of this.#idleWaiters.splice(0)) w();
      };
      const item: Pending = {
        input,
        resolve: (row) => (signal?.removeEventListener('abort', onAbort), resolve(row)),
        reject: (err) => (signal?.removeEventListener('abort', onAbort), reject(err)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(item);
      if (announcement) announcement.withdraw();
      else this.#schedule();
    });
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#running >= this.#maxRuns || this.#queue.length === 0) return;
    const target = Math.min(this.#opts.maxBatch, this.#queue.length + this.#announced);
    const wait = this.#idleSince + this.#opts.maxWaitMs - performance.now();
    if (this.#queue.length >= target || wait <= 0) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#flush();
      }, wait);
    }
  }

  async #flush(): Promise<void> {
    if (this.#running >= this.#maxRuns || this.#queue.length === 0) return;
    const items = this.#queue.splice(0, this.#opts.maxBatch);
    // Lone: nothing else queued, announced or computing (the low-latency session may take every core).
    const lone = items.length === 1 && this.#queue.length === 0 && this.#announced === 0 && this.#running === 0;
    this.#running++;
    // With a run slot left, what is still queued may start now rather than when this run ends.
    if (this.#queue.length > 0) this.#schedule();
    const n = items.length;
    const t0 = performance.now();
    try {
      const inputs = items.map((item) => item.input);
      const res = await this.#opts.infer(inputs, lone);
      const out = res instanceof Float32Array ? res : res.logits;
      const feats = res instanceof Float32Array ? undefined : res.features;
      const rowSize = out.length / n;
      if (!Number.isInteger(rowSize) || rowSize < 1) throw new Error(`batcher: model returned ${out.length} values for ${n} inputs`);
      const featSize = feats ? feats.length / n : 0;
      if (feats && (!Number.isInteger(featSize) || featSize < 1)) throw new Error(`batcher: model returned ${feats.length} feature values for ${n} inputs`);
      this.#opts.onRun?.(n, (performance.now() - t0) / 1000);
      for (let i = 0; i < n; i++) {
        const logits = out.subarray(i * rowSize, (i + 1) * rowSize);
        items[i]!.resolve(feats ? { logits, features: feats.subarray(i * featSize, (i + 1) * featSize) } : { logits });
      }
    } catch (err) {
      for (const item of items) item.reject(err);
    } finally {
      this.#running--;
      // The wait window for what queued during the run starts now, when the model became idle.
      this.#idleSince = performance.now();
      this.#schedule();
      if (!this.busy) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }
}
