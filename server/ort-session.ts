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
 * 1 takes ~2.4-3.2 ms with 2 spinning threads against ~4-5 ms with one.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { TensorPool } from './tensor-pool.ts';

export type InferenceThread = 'worker' | 'main';

export interface SessionOutput {
  readonly data: Float32Array;
  readonly dims: readonly number[];
  /** onnxruntime's element type of the output before conversion (float32 expected). */
  readonly type: string;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs `inputs` (each `dims[1..]` floats) as one batch of `inputs.length`. Inputs outside the pool may be
   * detached afterwards (transferred to the worker). `idle`: nothing else is waiting (low-latency session).
   */
  run(inputs: readonly Float32Array[], itemDims: readonly number[], idle?: boolean): Promise<SessionOutput>;
  release(): Promise<void>;
  /** False once the session can no longer run (its worker died); the watcher then reloads the model. */
  alive(): boolean;
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

export async function createSession(model: Uint8Array, threads: SessionThreads, where: InferenceThread, pool?: TensorPool): Promise<OrtSession> {
  return where === 'worker' ? workerSession(model, threads, pool) : mainThreadSession(model, threads);
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
  const [input, output] = [busy.inputNames[0]!, busy.outputNames[0]!];
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
      const t = (await session.run({ [input]: new ort.Tensor('float32', data, [n, ...itemDims]) }))[output]!;
      const out = t.type === 'float32' ? (t.data as Float32Array) : Float32Array.from(t.data as ArrayLike<number>, Number);
      return { data: out, dims: t.dims, type: t.type };
    },
    release: async () => {
      await busy.release();
      await idle?.release();
    },
    alive: () => true,
  };
}

type WorkerReply =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; data: Float32Array; dims: number[]; dtype: string }
  | { type: 'error'; id: number; message: string };

/** One input as sent to the worker: an offset into the shared pool, or the floats themselves. */
type WorkerPart = { offset: number } | { data: Float32Array };

async function workerSession(model: Uint8Array, threads: SessionThreads, pool: TensorPool | undefined): Promise<OrtSession> {
  const copy = model.slice(); // transferred to the worker
  const worker = new Worker(new URL('./inference-worker.mjs', import.meta.url), {
    workerData: { model: copy.buffer, options: optionsFor(threads), pool: pool?.buffer },
    transferList: [copy.buffer],
    // Plain JS: no loader needed (and none inherited: the worker must not pay for tsx).
    execArgv: [],
  });
  const pending = new Map<number, { resolve(o: SessionOutput): void; reject(e: Error): void }>();
  let nextId = 0;
  let dead: Error | undefined;
  const fail = (err: Error) => {
    dead ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  const names = await new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: WorkerReply) => {
      worker.off('error', reject);
      if (m.type === 'ready') resolve(m);
      else reject(new Error(m.type === 'failed' ? m.message : `unexpected worker message ${m.type}`));
    });
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });

  worker.on('message', (m: WorkerReply) => {
    if (m.type !== 'result' && m.type !== 'error') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.type === 'error') p.reject(new Error(m.message));
    else p.resolve({ data: m.data, dims: m.dims, type: m.dtype });
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`inference worker exited (code ${code})`)));
  const [input, output] = [names.inputNames[0]!, names.outputNames[0]!];

  return {
    inputNames: names.inputNames,
    outputNames: names.outputNames,
    run(inputs, itemDims, idle) {
      if (dead) return Promise.reject(dead);
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
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, parts, itemDims, input, output, idle: idle === true }, transfer);
      });
    },
    alive: () => dead === undefined,
    async release() {
      if (dead) return;
      const exited = new Promise((r) => worker.once('exit', r));
      worker.postMessage({ type: 'release' });
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
