/**
 * One prediction, from uploaded bytes to top-k: check the bytes, lease the model, decode and normalise with the
 * training code (`ml/preprocess`, so there is no train/serve skew), queue the tensor on the model's batcher, log.
 */
import { decodeForViews, toTensor, type DecodeOptions, type PreprocessSpec, type RawImage } from '../ml/preprocess/index.ts';
import { sha256 } from '../runner/hash.ts';
import type { Deadline } from './deadline.ts';
import { HttpError } from './errors.ts';
import { inspectImage, type PixelLimits } from './image-check.ts';
import { InferenceUnavailableError } from './ort-session.ts';
import type { ServerLogger } from './logger.ts';
import type { ModelHolder } from './model-holder.ts';
import type { ServerMetrics } from './metrics.ts';
import type { PredictionRecord, PredictionSink } from './prediction-sink.ts';
import { monitoringFields, observeInput, type ObservedInput, type ProjectionLookup } from './prediction-record.ts';
import type { Capture } from './capture.ts';

export interface ClassProb {
  readonly id: number;
  readonly class: string;
  readonly prob: number;
}

/** The body of a successful `/predict` (and each successful `/predict/batch` entry). */
export interface PredictionResult {
  readonly request_id: string;
  readonly served_alias: string;
  readonly model_version: number;
  readonly predictions: readonly ClassProb[];
  readonly latency_ms: number;
}

export interface PredictorDeps {
  readonly holder: ModelHolder;
  /** The alias routed to (the holder's slot). */
  readonly alias: string;
  readonly topK: number;
  readonly limits: PixelLimits;
  readonly metrics: ServerMetrics;
  readonly sink: PredictionSink;
  readonly log: ServerLogger;
  /**
   * Monitoring on: full input statistics and output summary per record, plus the projection of the penultimate
   * features (the version's reference profile's PCA) when `projection` knows it. Absent: the four basic statistics.
   */
  readonly monitoring?: { readonly projection?: ProjectionLookup; readonly capture?: Capture };
}

/** Softmax over `logits`, then the `k` most probable classes, most probable first (ties: lower id first). */
export function topK(logits: Float32Array, k: number, labels: readonly string[]): ClassProb[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (best.length === k && logits[i]! <= logits[best[k - 1]!]!) continue;
    let j = Math.min(best.length, k - 1);
    best[j] = i;
    while (j > 0 && logits[best[j - 1]!]! < logits[i]!) {
      best[j] = best[j - 1]!;
      best[j - 1] = i;
      j--;
    }
  }
  return best.map((id) => ({ id, class: labels[id] ?? String(id), prob: Math.exp(logits[id]! - max) / sum }));
}

/**
 * The server's path from bytes to tensor (into `out` when given, e.g. a pool slot), exported so a test can prove
 * it equals `preprocess()`.
 */
export async function serverTensor(bytes: Buffer, spec: PreprocessSpec, out?: Float32Array, decode?: DecodeOptions): Promise<{ raw: RawImage; tensor: Float32Array }> {
  const raw = await decodeForViews(bytes, spec, decode);
  return { raw, tensor: toTensor(raw, spec, undefined, out) };
}

/**
 * Which slot answers and under which names it is logged (variant-router.ts); without one, the predictor's own
 * alias, no variant. `share` receives the decoded input once it is ready, for a mirror to the shadow variant.
 */
export interface PredictRoute {
  readonly slot: string;
  readonly alias: string;
  readonly variant: string | null;
  readonly clientRequestId?: string | null;
  share?(input: SharedInput): void;
}

/** A decoded request, reusable by every variant with the same preprocessing (the tensor is a copy). */
export interface SharedInput {
  readonly preprocessingId: string;
  readonly tensor: Float32Array;
  readonly imageSha256: string;
  /** The photo's input statistics: the same for every variant, whatever its preprocessing. */
  readonly observed: ObservedInput;
  readonly imageFormat: string;
}

/** A request's limits in time and what must outlive its answer. */
export interface RequestWork {
  readonly deadline: Deadline;
  /** Memory in use by `work` (the upload, a tensor slot) stays reserved until it settles, even after the answer. */
  hold(work: Promise<unknown>): void;
}

function unavailable(err: unknown): never {
  if (err instanceof InferenceUnavailableError) {
    throw new HttpError(503, 'INFERENCE_UNAVAILABLE', `${err.message}; retry shortly`, { cause: err, headers: { 'Retry-After': '1' } });
  }
  throw err;
}

export class Predictor {
  readonly #d: PredictorDeps;

  constructor(deps: PredictorDeps) {
    this.#d = deps;
  }

  /**
   * Buffered logging: a broken sink must never fail the prediction it logs. Durable logging (`commit`): the answer
   * waits for the row's commit, and a row that could not be committed fails the request with 503 + Retry-After,
   * so "answered" keeps meaning "logged": nothing was logged, so the client (or nginx, platform/lb) may resend it.
   */
  async #log(row: PredictionRecord): Promise<void> {
    const { sink } = this.#d;
    if (sink.commit) {
      try {
        await sink.commit(row);
      } catch (err) {
        this.#d.metrics.logCommitFailed();
        const why = err instanceof Error ? err.message : String(err);
        this.#d.log.error(`prediction log: ${why}; answering 503`);
        throw new HttpError(503, 'PREDICTION_LOG_UNAVAILABLE', `the prediction could not be logged (${why}); retry shortly`, { cause: err, headers: { 'Retry-After': '1' } });
      }
      return;
    }
    try {
      sink.push(row);
    } catch (err) {
      this.#d.log.error(`prediction log: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Throws HttpError for anything wrong with the input or the service state; `startedAt` is performance.now(). */
  async predict(bytes: Buffer, requestId: string, startedAt: number, work: RequestWork, route?: PredictRoute): Promise<PredictionResult> {
    const { holder, metrics } = this.#d;
    const slotName = route?.slot ?? this.#d.alias;
    const alias = route?.alias ?? this.#d.alias;
    const { deadline } = work;
    if (bytes.length === 0) throw new HttpError(400, 'EMPTY_FILE', "the field 'file' is empty");
    const header = await inspectImage(bytes, this.#d.limits);
    // Lease after the cheap checks, then keep the same model (and its preprocessing) to the end.
    const lease = holder.acquire(slotName);
    if (!lease) throw notReady(alias);
    try {
      const model = lease.model;
      if (!model.healthy()) unavailable(new InferenceUnavailableError('the inference worker is restarting'));
      // Tell the batcher this input is coming, so a run about to start can wait briefly and take it along.
      const announcement = model.batcher.announce();
      let imageSha256 = '';
      let logits: Float32Array;
      let features: Float32Array | undefined;
      let stats: ReturnType<typeof observeInput>;
      const slot = model.tensorPool.acquire();
      const inUse: Promise<unknown>[] = [];
      try {
        // libvips abandons the decode itself past the deadline (whole seconds): the race below answers on time.
        const decoding = serverTensor(bytes, model.spec, slot?.view, { size: header, timeoutSeconds: deadline.remaining() / 1000 });
        inUse.push(decoding);
        // Hashed while libvips decodes on the thread pool: off the lone request's critical path.
        imageSha256 = sha256(bytes);
        const prepared = await deadline.race(
          decoding.catch((err: unknown) => {
            const why = err instanceof Error ? err.message : String(err);
            throw new HttpError(422, 'IMAGE_CORRUPT', `the ${header.format.toUpperCase()} image cannot be decoded: ${why}`, { cause: err });
          }),
        );
        // Leaves the batcher's queue if the deadline passes before its run starts.
        const inference = model.batcher.runRow(prepared.tensor, announcement, deadline.signal);
        inUse.push(inference);
        // Drift statistics are computed while the model runs (they only feed the log).
        stats = observeInput(prepared.raw, header, bytes.length, this.#d.monitoring !== undefined);
        route?.share?.({ preprocessingId: model.preprocessingId, tensor: prepared.tensor.slice(), imageSha256, imageFormat: header.format, observed: stats });
        ({ logits, features } = await deadline.race(inference).catch(unavailable));
      } finally {
        announcement.withdraw();
        // The slot is reused only once nothing can still write (a late decode) or read (a running batch) it.
        const settled = Promise.allSettled(inUse);
        work.hold(settled);
        if (slot) void settled.then(() => slot.release());
      }
      const predictions = topK(logits, Math.min(this.#d.topK, model.labels.length), model.labels);
      const latency_ms = Math.round((performance.now() - startedAt) * 100) / 100;
      const result: PredictionResult = { request_id: requestId, served_alias: alias, model_version: model.version, predictions, latency_ms };
      const row: PredictionRecord = {
        requestId,
        clientRequestId: route?.clientRequestId ?? null,
        ts: Date.now(),
        modelName: model.name,
        modelVersion: model.version,
        alias,
        variant: route?.variant ?? null,
        imageFormat: header.format,
        imageBytes: bytes.length,
        topK: predictions,
        latencyMs: latency_ms,
        imageSha256,
        ...monitoringFields(stats, logits, features, this.#d.monitoring?.projection?.(model.name, model.version) ?? null),
      };
      await this.#log(row);
      metrics.observePrediction(alias, model.version, predictions[0]!.class);
      // Opt-in: unsure or out-of-scope uploads kept for relabelling (server/capture.ts; written after the answer).
      this.#d.monitoring?.capture?.(row, bytes);
      return result;
    } finally {
      lease.release();
    }
  }
}

/** 503 while no model is loaded. */
export function notReady(alias: string): HttpError {
  return new HttpError(503, 'MODEL_NOT_READY', `no model is loaded for '${alias}' yet; retry shortly (GET /ready)`, { headers: { 'Retry-After': '1' } });
}
