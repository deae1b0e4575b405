/**
 * An onnxruntime session, on the main thread or in a worker thread.
 *
 * onnxruntime-node's `run()` is synchronous native code wrapped in a promise: on the main thread it blocks the
 * event loop for the whole inference, so no upload is parsed and no response written meanwhile. In a worker
 * the event loop keeps accepting, parsing and answering while the model runs. Inputs that live in the model's
 * TensorPool (a SharedArrayBuffer) are read in place; others are transferred. The batch is assembled into one
 * reusable buffer on the inference side, so a run allocates nothing large. Loading a model in the worker also
 * keeps a hot swap from pausing the service.
 *
 * Two sessions of the same model: `busy` (intraOpNumThreads, default 1, no spinning) for batches under load, when
 * the other core is decoding images; `idle` (more threads, spinning pool) for a request that arrives while
 * nothing else is queued or decoding, when the other core has nothing better to do: MobileNetV2-int8 at batch
 * 1 takes ~2.4-3.2 ms with 2 spinning threads against ~4-5 ms with one. `createSession(..., runs)` starts several
 * workers of the model so batches overlap (session-pool.ts).
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { sessionPool } from './session-pool.ts';
import type { TensorPool } from './tensor-pool.ts';

export type InferenceThread = 'worker' | 'main';

export interface SessionOutput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
  /** onnxruntime's element type of the output before conversion (float32 expected). */
  readonly type: string;
  /** The second output (penultimate features for monitoring), when the session was created with one. */
  readonly features?: { readonly data: Float32Array; readonly dims: readonly number[] };
}

/** The output carrying the penultimate features in exported models (steps/export, ml/onnx/compose-head.ts). */
export const FEATURES_OUTPUT = 'features';

/** Which output is the logits and which (if any) the features: `logits` by name, else the first non-features. */
export function outputRoles(names: readonly string[]): { logits: string; features?: string } {
  const features = names.includes(FEATURES_OUTPUT) ? FEATURES_OUTPUT : undefined;
  const logits = names.includes('logits') ? 'logits' : names.find((n) => n !== FEATURES_OUTPUT) ?? names[0]!;
  return features ? { logits, features } : { logits };
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs `inputs` (each `dims[1..]` floats) as one batch of `inputs.length`. Inputs outside the pool may be
   * detached afterwards (transferred to the worker). `idle`: nothing else is waiting (low-latency session).
   */
  run(inputs: readonly Float32Array[], itemDims: readonly number[], idle?: boolean, hangMs?: number): Promise<SessionOutput>;
  release(): Promise<void>;
  /** True while runs can be served (`status() === 'ok'`). */
  alive(): boolean;
  /** `recovering`: the inference worker died or hung and is being restarted; `failed`: it could not be. */
  status(): SessionStatus;
  /** The inference worker thread (undefined on the main thread); the first one of a pool. */
  worker(): Worker | undefined;
  /** Every inference worker thread (a pool has several: session-pool.ts; none on the main thread). */
  workers(): Worker[];
  /**
   * Makes the worker exit as a crash would (after the run in progress, if any; a no-op on the main thread). Not
   * `worker().terminate()`: terminating a thread inside onnxruntime's synchronous native run aborts the process.
   */
  kill(): void;
}

export type SessionStatus = 'ok' | 'recovering' | 'failed';

/** The model cannot run now (its worker died, hung or is restarting): the client should retry shortly (503). */
export class InferenceUnavailableError extends Error {
  readonly code = 'INFERENCE_UNAVAILABLE';
  constructor(why: string) {
    super(why);
    this.name = 'InferenceUnavailableError';
  }
}

export interface SessionThreads {
  /** Intra-op threads for batches under load (no spinning: it would steal the core sharp decodes on). */
  readonly busy: number;
  /** Intra-op threads (spinning) for a lone request; <= busy means no second session. */
  readonly idle: number;
}

export function sessionOptions(threads: number, spin: boolean): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } },
  };
}

function optionsFor(threads: SessionThreads) {
  return { busy: sessionOptions(threads.busy, false), idle: threads.idle > threads.busy ? sessionOptions(threads.idle, true) : undefined };
}

/**
 * `runs` > 1 (worker only): that many inference workers, so batches overlap (session-pool.ts); the first has the
 * low-latency session, the others the batch session only. On the main thread runs cannot overlap: one session.
 */
export async function createSession(
  model: Uint8Array,
  threads: SessionThreads,
  where: InferenceThread,
  pool?: TensorPool,
  supervision: WorkerSupervision = { hangMs: 10_000 },
  runs = 1,
): Promise<OrtSession> {
  if (where === 'main') return mainThreadSession(model, threads);
  // Loaded side by side (a hot swap waits for the slowest, not the sum); one failure releases the others.
  const started = await Promise.allSettled(
    Array.from({ length: Math.max(1, runs) }, (_, i) => workerSession(model, i === 0 ? threads : { busy: threads.busy, idle: threads.busy }, pool, supervision)),
  );
  const members = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(members.map((m) => m.release()));
    throw failed.reason;
  }
  return sessionPool(members);
}

async function mainThreadSession(model: Uint8Array, threads: SessionThreads): Promise<OrtSession> {
  const options = optionsFor(threads);
  const busy = await ort.InferenceSession.create(model, options.busy);
  let idle: ort.InferenceSession | undefined;
  try {
    idle = options.idle && (await ort.InferenceSession.create(model, options.idle));
  } catch (err) {
    await busy.release();
    throw err;
  }
  const input = busy.inputNames[0]!;
  const roles = outputRoles(busy.outputNames);
  let batch = new Float32Array(0);
  return {
    inputNames: busy.inputNames,
    outputNames: busy.outputNames,
    async run(inputs, itemDims, lone) {
      // Always through the reusable buffer: inputs may be views into the shared pool.
      const n = inputs.length;
      const size = itemDims.reduce((a, b) => a * b, 1);
      if (batch.length < n * size) batch = new Float32Array(n * size);
      for (let i = 0; i < n; i++) batch.set(inputs[i]!, i * size);
      const data = batch.subarray(0, n * size);
      const session = (lone && idle) || busy;
      const res = await session.run({ [input]: new ort.Tensor('float32', data, [n, ...itemDims]) });
      const t = res[roles.logits]!;
      const out = t.type === 'float32' ? (t.data as Float32Array) : Float32Array.from(t.data as ArrayLike<number>, Number);
      const f = roles.features ? res[roles.features] : undefined;
      const features = f ? { data: f.type === 'float32' ? (f.data as Float32Array) : Float32Array.from(f.data as ArrayLike<number>, Number), dims: f.dims } : undefined;
      return { data: out, dims: t.dims, type: t.type, ...(features ? { features } : {}) };
    },
    release: async () => {
      await busy.release();
      await idle?.release();
    },
    alive: () => true,
    status: () => 'ok',
    worker: () => undefined,
    workers: () => [],
    kill: () => {},
  };
}

type WorkerReply =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dims: number[]; dtype: string; features?: { data: Float32Array; dims: number[] } }
  | { type: 'error'; id: number; message: string };

/** One input as sent to the worker: an offset into the shared pool, or the floats themselves. */
type WorkerPart = { offset: number } | { data: Float32Array };

/** What a worker session does when its worker dies or hangs. */
export interface WorkerSupervision {
  /** A run that takes longer than this means a hung worker: it is terminated (and restarted). */
  readonly hangMs: number;
  /** Restart attempts in a row before giving up (the model is then `failed` and the watcher reloads it). */
  readonly maxRestarts?: number;
  /** Told about deaths and restarts (logging). */
  readonly onEvent?: (message: string) => void;
}

interface Started {
  readonly worker: Worker;
  readonly inputNames: string[];
  readonly outputNames: string[];
}

function startWorker(model: Uint8Array, threads: SessionThreads, pool: TensorPool | undefined): Promise<Started> {
  const copy = new Uint8Array(model); // a copy (Buffer#slice would be a view), transferred to the worker
  const worker = new Worker(new URL('./inference-worker.mjs', import.meta.url), {
    workerData: { model: copy.buffer, options: optionsFor(threads), pool: pool?.buffer },
    transferList: [copy.buffer],
    // Plain JS: no loader needed (and none inherited: the worker must not pay for tsx).
    execArgv: [],
  });
  return new Promise<Started>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`inference worker exited (code ${code}) while loading the model`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: WorkerReply) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (m.type === 'ready') resolve({ worker, inputNames: m.inputNames, outputNames: m.outputNames });
      else reject(new Error(m.type === 'failed' ? m.message : `unexpected worker message ${m.type}`));
    });
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
}

/**
 * A session whose worker heals itself: when the worker exits (an out-of-memory, an exception, a kill) or a run
 * outlives `hangMs`, every pending run rejects at once with `InferenceUnavailableError`, the session reports
 * `recovering` (so `/ready` says not-ready and new runs fail fast), and a new worker loads the same bytes. A hung
 * worker is abandoned, not terminated (terminating a thread inside onnxruntime's native run aborts the whole
 * process): it is asked to release itself and exits when its run returns; its late results are dropped.
 */
async function workerSession(model: Uint8Array, threads: SessionThreads, pool: TensorPool | undefined, sup: WorkerSupervision): Promise<OrtSession> {
  const bytes = new Uint8Array(model); // a copy, kept for restarts
  let current = await startWorker(bytes, threads, pool);
  const names = { inputNames: current.inputNames, outputNames: current.outputNames };
  const input = names.inputNames[0]!;
  const roles = outputRoles(names.outputNames);
  const pending = new Map<number, { resolve(o: SessionOutput): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  let status: SessionStatus = 'ok';
  let released = false;
  let restarts = 0;
  const exited = new WeakSet<Worker>();
  const abandoned = new WeakSet<Worker>();
  const abandon = (w: Worker, why: string) => {
    if (abandoned.has(w) || w !== current.worker || released) return;
    abandoned.add(w);
    status = 'recovering';
    failPending(why);
    sup.onEvent?.(`${why}: abandoning the worker (it exits when its run returns) and starting another`);
    w.postMessage({ type: 'release' });
    void restart();
  };

  const failPending = (why: string) => {
    for (const p of pending.values()) clearTimeout(p.timer), p.reject(new InferenceUnavailableError(why));
    pending.clear();
  };
  const attach = (w: Worker) => {
    w.on('message', (m: WorkerReply) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      if (abandoned.has(w)) return; // a late answer of a worker given up on: its requests were answered 503
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.type === 'error') p.reject(new Error(m.message));
      else p.resolve({ data: m.data, dims: m.dims, type: m.dtype, ...(m.features ? { features: m.features } : {}) });
    });
    w.on('error', (err) => sup.onEvent?.(`inference worker error: ${err.message}`));
    w.once('exit', (code) => {
      exited.add(w);
      if (released || w !== current.worker || abandoned.has(w)) return;
      const why = `inference worker exited (code ${code})`;
      status = 'recovering';
      failPending(why);
      sup.onEvent?.(`${why}; restarting it`);
      void restart();
    });
  };
  const restart = async (): Promise<void> => {
    while (!released && restarts < (sup.maxRestarts ?? 5)) {
      restarts++;
      try {
        const next = await startWorker(bytes, threads, pool);
        if (released) return void next.worker.terminate();
        current = next;
        attach(next.worker);
        status = 'ok';
        sup.onEvent?.(`inference worker restarted (attempt ${restarts})`);
        restarts = 0;
        return;
      } catch (err) {
        sup.onEvent?.(`inference worker restart ${restarts} failed: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((r) => setTimeout(r, 200 * restarts));
      }
    }
    if (!released) status = 'failed';
  };
  attach(current.worker);

  return {
    ...names,
    run(inputs, itemDims, idle, hangMs = sup.hangMs) {
      if (status !== 'ok') return Promise.reject(new InferenceUnavailableError(status === 'recovering' ? 'the inference worker is restarting' : 'the inference worker could not be restarted'));
      const id = nextId++;
      const parts: WorkerPart[] = [];
      const transfer: ArrayBuffer[] = [];
      for (const x of inputs) {
        const offset = pool?.offsetOf(x);
        if (offset !== undefined) parts.push({ offset });
        else {
          parts.push({ data: x });
          // Transfer when the array owns its whole buffer; otherwise (a view into a larger one) it is cloned.
          if (x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer) transfer.push(x.buffer);
        }
      }
      const worker = current.worker;
      return new Promise((resolve, reject) => {
        // A run that never answers is a hung worker: terminating it makes the exit handler fail and restart.
        const timer = setTimeout(() => {
          if (pending.has(id)) abandon(worker, `inference run ${id} took longer than ${hangMs} ms`);
        }, hangMs);
        pending.set(id, { resolve, reject, timer });
        worker.postMessage({ id, parts, itemDims, input, output: roles.logits, features: roles.features, idle: idle === true }, transfer);
      });
    },
    alive: () => status === 'ok',
    status: () => status,
    worker: () => current.worker,
    workers: () => [current.worker],
    kill: () => current.worker.postMessage({ type: 'exit' }),
    async release() {
      if (released) return;
      released = true;
      failPending('the model was released');
      const worker = current.worker;
      if (exited.has(worker)) return; // died and could not be restarted: nothing left to release
      const gone = new Promise((r) => worker.once('exit', r));
      worker.postMessage({ type: 'release' });
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
