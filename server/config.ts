/**
 * The service's knobs, with the defaults chosen for a 2-core CPU box (see docs in server/README.md).
 * Everything a request can influence is bounded here: body size, pixels, files per batch, requests in flight.
 */
import os from 'node:os';

export interface ServeOptions {
  /** Registered model name to serve (e.g. `food101`). */
  readonly modelName: string;
  /** Alias (or version number as a string) routed for `/predict`. Default `champion`. */
  readonly alias?: string;
  /** How many classes `/predict` returns. From config only, never from the request. Default 5. */
  readonly topK?: number;
  /** Largest request body in bytes (413 above it). Default 10 MB. */
  readonly maxBodyBytes?: number;
  /** Largest image in pixels (width x height, read from the header before decoding; 413 above it). Default 40 M. */
  readonly maxPixels?: number;
  /** Most files in one `/predict/batch` request. Default 16. */
  readonly maxBatchFiles?: number;
  /** Requests being processed at once before new ones get 503 (back-pressure). Default 256. */
  readonly maxInFlight?: number;
  /** Micro-batching: largest batch per onnxruntime run (default 16) and longest wait to fill one (default 2 ms). */
  readonly maxBatch?: number;
  readonly maxWaitMs?: number;
  /** How often the model source is polled for alias moves, in ms. Default 2000; 0 disables polling. */
  readonly pollMs?: number;
  /** onnxruntime intra-op threads for batches under load. Default 1 (the other core decodes images). */
  readonly intraOpNumThreads?: number;
  /**
   * Intra-op threads (spinning) of a second, low-latency session used for a lone request when nothing else is
   * queued or decoding. Default min(4, cores); set it <= intraOpNumThreads to have one session only.
   */
  readonly idleIntraOpNumThreads?: number;
  /**
   * Where onnxruntime runs: 'worker' (default) keeps the event loop free while the model computes; 'main' saves
   * a thread hop (measure with scripts/bench-serve.ts).
   */
  readonly inferenceThread?: 'worker' | 'main';
  /** How long a graceful shutdown waits for in-flight requests, in ms. Default 10000. */
  readonly drainTimeoutMs?: number;
}

export type ResolvedServeOptions = Required<ServeOptions>;

export const SERVE_DEFAULTS = Object.freeze({
  alias: 'champion',
  topK: 5,
  maxBodyBytes: 10 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxBatchFiles: 16,
  maxInFlight: 256,
  maxBatch: 16,
  maxWaitMs: 2,
  pollMs: 2000,
  intraOpNumThreads: 1,
  idleIntraOpNumThreads: Math.min(4, os.availableParallelism()),
  inferenceThread: 'worker' as 'worker' | 'main',
  drainTimeoutMs: 10_000,
});

/** Fills defaults and rejects nonsense early (at startup, not at the first request). */
export function resolveServeOptions(opts: ServeOptions): ResolvedServeOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o = { ...SERVE_DEFAULTS, ...defined } as ResolvedServeOptions;
  if (!o.modelName) throw new Error('serve: modelName is required');
  const positiveInt = ['topK', 'maxBodyBytes', 'maxPixels', 'maxBatchFiles', 'maxInFlight', 'maxBatch', 'intraOpNumThreads', 'idleIntraOpNumThreads'] as const;
  for (const key of positiveInt) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`serve: ${key} must be a positive integer, got ${String(o[key])}`);
  }
  for (const key of ['maxWaitMs', 'pollMs', 'drainTimeoutMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] < 0) throw new Error(`serve: ${key} must be a number >= 0, got ${String(o[key])}`);
  }
  if (o.inferenceThread !== 'worker' && o.inferenceThread !== 'main') throw new Error(`serve: inferenceThread must be 'worker' or 'main', got ${String(o.inferenceThread)}`);
  return Object.freeze(o);
}
