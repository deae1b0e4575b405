/**
 * Loading one model version: verify the bytes, build the session, prove it runs, and only then hand it over.
 * A model that fails any step never serves a request (the holder keeps the previous one).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { preprocessingId, resolvePreprocessSpec, type PreprocessSpec } from '../ml/preprocess/index.ts';
import { PipelineError } from '../runner/errors.ts';
import { sha256 as sha256Of } from '../runner/hash.ts';
import { Batcher } from './batcher.ts';
import { quietMachine } from './machine-load.ts';
import { modelFilePath, type ResolvedModel } from './model-source.ts';
import { TensorPool, tensorPoolSlots } from './tensor-pool.ts';
import type { Worker } from 'node:worker_threads';
import { createSession, outputRoles, type InferenceThread, type OrtSession, type SessionStatus } from './ort-session.ts';
import type { BatchOutput } from './batcher.ts';

/** A model version that loaded and passed its smoke inference. */
export interface LoadedModel {
  readonly name: string;
  readonly version: number;
  /** The alias it was resolved through (null when pinned by version). */
  readonly alias: string | null;
  readonly sha256: string;
  readonly file: string;
  readonly labels: readonly string[];
  readonly spec: PreprocessSpec;
  readonly preprocessingId: string;
  readonly inputName: string;
  readonly outputName: string;
  /** The output with the penultimate features (monitoring), when the model has one; `/predict` never returns it. */
  readonly featuresName: string | null;
  /** ISO time the model finished loading. */
  readonly loadedAt: string;
  readonly batcher: Batcher;
  /** Reusable input tensors (normalise into a slot, release it after the run). */
  readonly tensorPool: TensorPool;
  /** False while the inference worker is being restarted or could not be (`status()`): `/ready` is then 503. */
  healthy(): boolean;
  /** `recovering`: its worker died or hung and is restarting by itself; `failed`: it could not: reload the model. */
  status(): SessionStatus;
  /** The inference worker thread (undefined with `inferenceThread: 'main'`). */
  inferenceWorker(): Worker | undefined;
  /** Makes the inference worker exit as a crash would (admin hooks, tests); it then heals as from a real one. */
  killInferenceWorker(): void;
  /** Releases the native session (only once nothing runs on it). */
  dispose(): Promise<void>;
}

/** Which step of loading failed, for `/models` and logs. */
export type LoadStep = 'files' | 'sha256' | 'labels' | 'preprocessing' | 'session' | 'smoke';

export class ModelLoadError extends PipelineError {
  readonly step: LoadStep;
  readonly version: number;
  constructor(m: ResolvedModel, step: LoadStep, message: string, cause?: unknown) {
    super('MODEL_LOAD_FAILED', `model ${m.name} v${m.version} (${modelFilePath(m)}): ${step}: ${message}`, { cause });
    this.step = step;
    this.version = m.version;
  }
}

export interface LoadOptions {
  readonly intraOpNumThreads: number;
  /** Threads of the low-latency session for lone requests (<= intraOpNumThreads: none). */
  readonly idleIntraOpNumThreads: number;
  readonly inferenceThread: InferenceThread;
  /** Inference workers, so batches overlap (worker thread only; session-pool.ts). Default 1. */
  readonly inferenceRuns?: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** A run longer than this means a hung inference worker (terminated and restarted). */
  readonly inferenceTimeoutMs: number;
  /** Told when the inference worker dies, hangs or restarts. */
  readonly onWorkerEvent?: (message: string) => void;
  /** Observes every onnxruntime run (batch size, seconds). */
  readonly onRun?: (n: number, seconds: number) => void;
  /**
   * The input-tensor pool for this input size, shared by every version the app loads: a pool per version was a
   * 24 MB SharedArrayBuffer per hot swap that V8 frees only when it gets round to collecting the retired model
   * (most of the ~190 MB RSS growth over the first 30 swaps). Default: a pool of this model's own.
   */
  readonly tensorPool?: (itemSize: number) => TensorPool;
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function readJson(m: ResolvedModel, step: LoadStep, file: string): Promise<unknown> {
  const full = path.join(m.dir, file);
  try {
    return JSON.parse(await fs.readFile(full, 'utf8')) as unknown;
  } catch (err) {
    throw new ModelLoadError(m, step, `cannot read ${full}: ${why(err)}`, err);
  }
}

export async function loadModel(m: ResolvedModel, opts: LoadOptions): Promise<LoadedModel> {
  const file = modelFilePath(m);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new ModelLoadError(m, 'files', `cannot read the model file: ${why(err)}`, err);
  }
  // Hash the very bytes handed to onnxruntime: no window between verifying and loading.
  const sha256 = sha256Of(bytes);
  if (sha256 !== m.sha256.toLowerCase()) {
    throw new ModelLoadError(m, 'sha256', `sha256 is ${sha256}, the registry expects ${m.sha256}: the file was changed or corrupted`);
  }

  const labels = await readJson(m, 'labels', 'labels.json');
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
    throw new ModelLoadError(m, 'labels', 'labels.json must be a non-empty JSON array of class names');
  }
  let spec: PreprocessSpec;
  try {
    spec = resolvePreprocessSpec((await readJson(m, 'preprocessing', 'preprocessing.json')) as Record<string, never>);
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    throw new ModelLoadError(m, 'preprocessing', `preprocessing.json: ${why(err)}`, err);
  }

  const itemSize = 3 * spec.crop * spec.crop;
  // Runs overlap only on worker threads (one main-thread session computes one batch at a time).
  const runs = opts.inferenceThread === 'worker' ? Math.max(1, opts.inferenceRuns ?? 1) : 1;
  const tensorPool = opts.tensorPool?.(itemSize) ?? new TensorPool(itemSize, tensorPoolSlots(opts.maxBatch, runs));
  let session: OrtSession;
  try {
    session = await createSession(bytes, { busy: opts.intraOpNumThreads, idle: opts.idleIntraOpNumThreads }, opts.inferenceThread, tensorPool, {
      hangMs: opts.inferenceTimeoutMs,
      onEvent: opts.onWorkerEvent && ((message) => opts.onWorkerEvent!(`${m.name} v${m.version}: ${message}`)),
    }, runs);
  } catch (err) {
    throw new ModelLoadError(m, 'session', `onnxruntime cannot load it: ${why(err)}`, err);
  }
  try {
    const roles = outputRoles(session.outputNames);
    const outputsOk = session.outputNames.length === 1 || (session.outputNames.length === 2 && roles.features !== undefined);
    if (session.inputNames.length !== 1 || !outputsOk) {
      throw new ModelLoadError(m, 'session', `expected one input and one output (logits) or two (logits and 'features'), found inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]`);
    }
    const inputName = session.inputNames[0]!;
    const outputName = roles.logits;
    const classes = labels.length;

    const quiet = quietMachine({ threads: opts.idleIntraOpNumThreads });
    const infer = async (inputs: readonly Float32Array[], idle = false, hangMs?: number): Promise<BatchOutput> => {
      const n = inputs.length;
      const t = await session.run(inputs, [3, spec.crop, spec.crop], idle && (hangMs !== undefined || quiet()), hangMs);
      if (t.type !== 'float32' || t.dims.length !== 2 || t.dims[0] !== n || t.dims[1] !== classes) {
        throw new Error(`model output '${outputName}' is ${t.type} [${t.dims.join(',')}], expected float32 [${n},${classes}]`);
      }
      const f = t.features;
      if (roles.features && (!f || f.dims.length !== 2 || f.dims[0] !== n)) {
        throw new Error(`model output '${roles.features}' is [${f?.dims.join(',') ?? 'missing'}], expected [${n},D]`);
      }
      return f ? { logits: t.data, features: f.data } : { logits: t.data };
    };

    try {
      // Both sessions (the low-latency one, when there is one, serves lone requests).
      for (const idle of [false, true]) {
        // The load's own watchdog is generous: a first run may page the model in on a busy machine.
        const smoke = await infer([new Float32Array(itemSize)], idle, Math.max(opts.inferenceTimeoutMs, 30_000));
        if (!smoke.logits.every(Number.isFinite)) throw new Error('non-finite logits on a zero input');
      }
    } catch (err) {
      throw new ModelLoadError(m, 'smoke', `smoke inference failed: ${why(err)}`, err);
    }

    return Object.freeze({
      name: m.name,
      version: m.version,
      alias: m.alias,
      sha256,
      file,
      labels: Object.freeze([...(labels as string[])]),
      spec,
      preprocessingId: preprocessingId(spec),
      inputName,
      outputName,
      featuresName: roles.features ?? null,
      loadedAt: new Date().toISOString(),
      tensorPool,
      batcher: new Batcher({ itemSize, maxBatch: opts.maxBatch, maxWaitMs: opts.maxWaitMs, maxConcurrentRuns: runs, infer, onRun: opts.onRun }),
      healthy: () => session.alive(),
      status: () => session.status(),
      inferenceWorker: () => session.worker(),
      killInferenceWorker: () => session.kill(),
      dispose: () => session.release(),
    });
  } catch (err) {
    await session.release().catch(() => {});
    throw err;
  }
}
