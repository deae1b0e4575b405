/**
 * The service's knobs, with the defaults chosen for a 2-core CPU box (see docs in server/README.md).
 * Everything a request can influence is bounded here: body size, pixels, files per batch, requests in flight.
 */
import { cpuBudget, derivedThreads } from './cpu-budget.ts';

export interface ServeOptions {
  /** Registered model name to serve (e.g. `food101`). */
  readonly modelName: string;
  /** Alias (or version number as a string) routed for `/predict`. Default `champion`. */
  readonly alias?: string;
  /** How many classes `/predict` returns. From config only, never from the request. Default 5. */
  readonly topK?: number;
  /** Largest request body in bytes (413 above it). Default 10 MB. */
  readonly maxBodyBytes?: number;
  /**
   * Largest baseline JPEG in pixels (width x height, read from the header before decoding; 413 above it). Such a
   * JPEG shrinks while decoding (1/8 for large photos), so 40 M costs about what a 5 MP PNG does. Default 40 M.
   */
  readonly maxPixels?: number;
  /**
   * Largest PNG, WebP or progressive JPEG in pixels: these decode every pixel (and progressive JPEG holds all its
   * coefficients in memory), so their cost grows with the pixel count. Default 16 M (~10 times a 512-px photo).
   */
  readonly maxFullDecodePixels?: number;
  /**
   * Per-request deadline in ms, from the moment the body has arrived: decode, queueing and inference. A request
   * that overruns gets 503 DEADLINE_EXCEEDED; its decode is abandoned by libvips (whole seconds) and its batch
   * slot freed. Default 5000.
   */
  readonly deadlineMs?: number;
  /**
   * Bytes of request bodies the whole process holds at once (uploads being received and being processed). An
   * upload reserves its Content-Length (at least `minUploadReservationBytes`) before a byte is read; when the
   * budget is full, stalled uploads are dropped to make room, else 503 + Retry-After. Default 32 MiB (three 10 MB
   * uploads at once): with the champion loaded on two inference workers and after load the process itself is
   * ~400 MB, and 100 concurrent 9 MB uploads measured 511-531 MB peak RSS with 64 MiB (BENCHMARKS.md).
   */
  readonly uploadBudgetBytes?: number;
  /** Smallest reservation per upload (a body that never arrives still holds a socket). Default 64 KiB. */
  readonly minUploadReservationBytes?: number;
  /**
   * An upload that received no byte for this long (or averages under `minUploadBytesPerSec` after this long) is
   * stalled: it is dropped (503 UPLOAD_STALLED + Retry-After) when its memory is needed by a new request. Default 1000 ms.
   */
  readonly uploadStallMs?: number;
  /** See `uploadStallMs`. Default 16 KiB/s. */
  readonly minUploadBytesPerSec?: number;
  /** An upload that receives no byte for this long is dropped (408) even when nothing else waits. Default 10000. */
  readonly bodyIdleTimeoutMs?: number;
  /** Node's `headersTimeout`: the whole header must arrive within this. Default 10000. */
  readonly headersTimeoutMs?: number;
  /** Node's `requestTimeout`: the whole request (header + body) must arrive within this. Default 60000. */
  readonly requestTimeoutMs?: number;
  /**
   * An onnxruntime run taking longer than this means a hung inference worker: it is terminated and restarted
   * (in-flight requests get 503 + Retry-After). Default 10000.
   */
  readonly inferenceTimeoutMs?: number;
  /** Most files in one `/predict/batch` request. Default 16. */
  readonly maxBatchFiles?: number;
  /**
   * Requests being processed at once (body received, decoding or queued for the model) before new ones get 503
   * (back-pressure). Uploads still arriving are bounded by the byte budget instead. Default 256.
   */
  readonly maxInFlight?: number;
  /**
   * Micro-batching: largest batch per onnxruntime run (default 4 on 2-3 CPUs given, with two inference workers; 8
   * on one CPU; 16 from 4 CPUs: cpu-budget.ts. With a flip-TTA model a batch of 16 is 32 backbone images, ~90 MB
   * more peak RSS)
   * and longest wait to fill one (2 ms).
   */
  readonly maxBatch?: number;
  readonly maxWaitMs?: number;
  /** How often the model source is polled for alias moves, in ms. Default 2000; 0 disables polling. */
  readonly pollMs?: number;
  /** onnxruntime intra-op threads for batches under load. Default half the CPUs given, at least 1 (the rest decode images). */
  readonly intraOpNumThreads?: number;
  /**
   * Intra-op threads (spinning) of a second, low-latency session used for a lone request when nothing else is
   * queued or decoding. Default min(4, CPUs given: the cgroup quota or affinity, cpu-budget.ts); set it <= intraOpNumThreads to have one session only.
   */
  readonly idleIntraOpNumThreads?: number;
  /**
   * Inference workers of the served model, each running its own batch (intraOpNumThreads threads), so that one
   * batch computes while the next forms: with one worker the model thread is the bottleneck on 2 CPUs. Default 2
   * from 2 CPUs given, else 1 (cpu-budget.ts). Rollout candidates always get one.
   */
  readonly inferenceRuns?: number;
  /**
   * Where onnxruntime runs: 'worker' (default) keeps the event loop free while the model computes; 'main' saves
   * a thread hop (measure with scripts/bench-serve.ts).
   */
  readonly inferenceThread?: 'worker' | 'main';
  /** How long a graceful shutdown waits for in-flight requests, in ms. Default 10000. */
  readonly drainTimeoutMs?: number;
  /**
   * After SIGTERM, how long the server keeps answering every request while `/ready` says 503, before it refuses
   * new ones: the time load balancers and Kubernetes endpoints take to stop sending here. Default 5000.
   */
  readonly drainDelayMs?: number;
}

export type ResolvedServeOptions = Required<ServeOptions>;

/** The CPU this process is given, read once at startup, and the settings derived from it. */
export const CPU_BUDGET = cpuBudget();
const DERIVED = derivedThreads(CPU_BUDGET);

export const SERVE_DEFAULTS = Object.freeze({
  alias: 'champion',
  topK: 5,
  maxBodyBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxFullDecodePixels: 16_000_000,
  deadlineMs: 5000,
  uploadBudgetBytes: 32 * 1024 * 1024,
  minUploadReservationBytes: 64 * 1024,
  uploadStallMs: 1000,
  minUploadBytesPerSec: 16 * 1024,
  bodyIdleTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  inferenceTimeoutMs: 10_000,
  maxBatchFiles: 16,
  maxInFlight: 256,
  maxBatch: DERIVED.maxBatch,
  maxWaitMs: 2,
  pollMs: 2000,
  // From the CPU actually given (cgroup quota, affinity: cpu-budget.ts); an explicit option wins.
  intraOpNumThreads: DERIVED.intraOpNumThreads,
  idleIntraOpNumThreads: DERIVED.idleIntraOpNumThreads,
  inferenceRuns: DERIVED.inferenceRuns,
  inferenceThread: 'worker' as 'worker' | 'main',
  drainTimeoutMs: 10_000,
  drainDelayMs: 5000,
});

/** Fills defaults and rejects nonsense early (at startup, not at the first request). */
export function resolveServeOptions(opts: ServeOptions): ResolvedServeOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o = { ...SERVE_DEFAULTS, ...defined } as ResolvedServeOptions;
  if (!o.modelName) throw new Error('serve: modelName is required');
  const positiveInt = [
    'topK', 'maxBodyBytes', 'maxPixels', 'maxFullDecodePixels', 'maxBatchFiles', 'maxInFlight', 'maxBatch', 'intraOpNumThreads',
    'idleIntraOpNumThreads', 'inferenceRuns', 'uploadBudgetBytes', 'minUploadReservationBytes', 'minUploadBytesPerSec',
  ] as const;
  for (const key of positiveInt) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`serve: ${key} must be a positive integer, got ${String(o[key])}`);
  }
  for (const key of ['maxWaitMs', 'pollMs', 'drainTimeoutMs', 'drainDelayMs', 'uploadStallMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] < 0) throw new Error(`serve: ${key} must be a number >= 0, got ${String(o[key])}`);
  }
  for (const key of ['deadlineMs', 'bodyIdleTimeoutMs', 'headersTimeoutMs', 'requestTimeoutMs', 'inferenceTimeoutMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] <= 0) throw new Error(`serve: ${key} must be a number > 0, got ${String(o[key])}`);
  }
  if (o.uploadBudgetBytes < o.maxBodyBytes) {
    throw new Error(`serve: uploadBudgetBytes (${o.uploadBudgetBytes}) must be at least maxBodyBytes (${o.maxBodyBytes}), or no upload of the largest allowed size could ever be admitted`);
  }
  if (o.inferenceThread !== 'worker' && o.inferenceThread !== 'main') throw new Error(`serve: inferenceThread must be 'worker' or 'main', got ${String(o.inferenceThread)}`);
  return Object.freeze(o);
}
