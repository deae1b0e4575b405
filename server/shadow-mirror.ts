/**
 * Mirrors to a shadow variant, started after the client's answer was sent (never on its path): the decoded input
 * is reused when the shadow has the same preprocessing (else the bytes are decoded again), the shadow's answer is
 * logged under its variant and never returned. Bounded: at most `maxConcurrent` mirrors run and `maxQueued`
 * wait; beyond that, or while the server is busy, a mirror is shed (counted in `rollout_shadow_shed_total`).
 * A shadow row carries the same monitoring fields as a primary one (every input statistic, the output summary,
 * the embedding in the shadow version's own projection), so monitoring can compare a candidate before it serves.
 */
import { sha256 } from '../runner/hash.ts';
import type { ServerLogger } from './logger.ts';
import type { ModelHolder } from './model-holder.ts';
import type { ServerMetrics } from './metrics.ts';
import type { PredictionSink } from './prediction-sink.ts';
import { serverTensor, topK, type SharedInput } from './predictor.ts';
import { monitoringFields, type ProjectionLookup } from './prediction-record.ts';

export interface MirrorJob {
  readonly slot: string;
  readonly alias: string;
  readonly variant: string;
  readonly requestId: string;
  readonly clientRequestId: string | null;
  readonly bytes: Buffer;
  readonly shared: SharedInput | undefined;
}

export interface ShadowMirrorDeps {
  readonly holder: ModelHolder;
  readonly topK: number;
  readonly sink: PredictionSink;
  readonly metrics: ServerMetrics;
  readonly log: ServerLogger;
  /** True while the server has primary work to do (mirrors wait for quiet). */
  readonly busy: () => boolean;
  readonly maxConcurrent?: number;
  readonly maxQueued?: number;
  readonly timeoutMs: number;
  /** The embedding projection of a model version (monitoring on); absent: no embedding in the rows. */
  readonly projection?: ProjectionLookup;
}

export class ShadowMirror {
  readonly #d: ShadowMirrorDeps;
  readonly #queue: MirrorJob[] = [];
  #running = 0;
  #idle: (() => void)[] = [];
  shedCount = 0;
  done = 0;

  constructor(deps: ShadowMirrorDeps) {
    this.#d = deps;
  }

  /** Queues a mirror; false when shed. */
  offer(job: MirrorJob): boolean {
    if (this.#d.busy() || this.#queue.length >= (this.#d.maxQueued ?? 16)) {
      this.shedCount++;
      this.#d.metrics.variants.shed(job.variant);
      return false;
    }
    this.#queue.push(job);
    this.#pump();
    return true;
  }

  #pump(): void {
    while (this.#running < (this.#d.maxConcurrent ?? 1) && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      void this.#run(job).finally(() => {
        this.#running--;
        this.done++;
        this.#pump();
        if (this.#running === 0 && this.#queue.length === 0) for (const w of this.#idle.splice(0)) w();
      });
    }
  }

  /** Resolves when no mirror runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  async #run(job: MirrorJob): Promise<void> {
    const { holder, metrics, sink } = this.#d;
    const lease = holder.acquire(job.slot);
    if (!lease) return;
    const startedAt = performance.now();
    const model = lease.model;
    const o = job.shared?.observed;
    const base = {
      requestId: job.requestId, clientRequestId: job.clientRequestId, modelName: model.name, modelVersion: model.version, alias: job.alias,
      variant: job.variant, imageSha256: job.shared?.imageSha256 ?? null,
      // A failed mirror keeps the photo's basic statistics (as a failed primary request's row does).
      inputStats: !o ? null : 'full' in o ? { meanBrightness: o.full.brightness, contrast: o.full.contrast, width: o.full.width, height: o.full.height } : o.minimal,
      imageFormat: job.shared?.imageFormat ?? null, imageBytes: job.bytes.length,
    };
    try {
      const tensor = job.shared && job.shared.preprocessingId === model.preprocessingId ? job.shared.tensor : (await serverTensor(job.bytes, model.spec)).tensor;
      const { logits, features } = await model.batcher.runRow(tensor, undefined, AbortSignal.timeout(this.#d.timeoutMs));
      const predictions = topK(logits, Math.min(this.#d.topK, model.labels.length), model.labels);
      const latencyMs = Math.round((performance.now() - startedAt) * 100) / 100;
      metrics.variants.observe(job.variant, model.version, 'shadow', latencyMs / 1000, true);
      const monitoring = job.shared ? monitoringFields(job.shared.observed, logits, features, this.#d.projection?.(model.name, model.version) ?? null) : {};
      sink.push({ ...base, ...monitoring, imageSha256: base.imageSha256 ?? sha256(job.bytes), ts: Date.now(), topK: predictions, latencyMs });
    } catch (err) {
      const latencyMs = Math.round((performance.now() - startedAt) * 100) / 100;
      metrics.variants.observe(job.variant, model.version, 'shadow', latencyMs / 1000, false);
      const code = err instanceof Error && err.name === 'TimeoutError' ? 'DEADLINE_EXCEEDED' : 'SHADOW_FAILED';
      try {
        sink.push({ ...base, ts: Date.now(), topK: [], latencyMs, errorCode: code });
      } catch (e) {
        this.#d.log.error(`prediction log: ${String(e)}`);
      }
    } finally {
      lease.release();
    }
  }
}
