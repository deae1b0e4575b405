/**
 * Runs one training job in its own worker thread, so two runs train in parallel on two cores and a run can be
 * cancelled by terminating its thread. Sample buffers backed by a SharedArrayBuffer are shared as they are (one
 * feature matrix can feed several runs at once); other buffers are copied, never detached from the caller.
 */
import { Worker } from 'node:worker_threads';
import type { Dataset, EpochMetrics, TrainJob, TrainResult } from './types.ts';
import type { WorkerMessage } from './worker-protocol.ts';

const entry = new URL('./worker-entry.mjs', import.meta.url);

export interface RunInWorkerOptions {
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /** The backend the worker chose and why (log it), before the first epoch. */
  readonly onBackend?: (backend: { name: string; detail: string }) => void;
  /** Aborting terminates the worker; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A copy of `data` in SharedArrayBuffers: pass it to several runs without copying it again. */
export function shareDataset(data: Dataset): Dataset {
  const x = new Float32Array(new SharedArrayBuffer(data.x.byteLength));
  x.set(data.x);
  const y = new Int32Array(new SharedArrayBuffer(data.y.byteLength));
  y.set(data.y);
  return { x, y, n: data.n };
}

function forWorker<T extends Float32Array | Int32Array>(a: T, transfer: ArrayBuffer[]): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const copy = a.slice() as T; // only the view's bytes, in a buffer of its own that we may transfer
  transfer.push(copy.buffer as ArrayBuffer);
  return copy;
}

function datasetForWorker(d: Dataset, transfer: ArrayBuffer[]): Dataset {
  return { x: forWorker(d.x, transfer), y: forWorker(d.y, transfer), n: d.n };
}

/**
 * The parent's node flags minus those that describe the parent's own entry (`-e`, `--input-type`): a worker
 * inheriting them fails to start. Loader flags such as `--import tsx` pass through.
 */
function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (['-e', '--eval', '-p', '--print'].includes(a)) i++;
    else if (!/^--(input-type|eval|print)=/.test(a)) out.push(a);
  }
  return out;
}

/** Rebuilds an error that crossed the thread boundary, keeping the worker's stack. */
function reviveError(e: { name: string; message: string; stack?: string }): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * Trains `job` in a new worker thread and resolves with its result. Epoch metrics and the chosen backend arrive
 * through the callbacks while it runs; an error thrown in the worker rejects with its message and stack; a callback
 * that throws ends the run with that error.
 */
export function runInWorker(job: TrainJob, options: RunInWorkerOptions = {}): Promise<TrainResult> {
  const { onEpoch, onBackend, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const transfer: ArrayBuffer[] = [];
  const sent: TrainJob = { ...job, train: datasetForWorker(job.train, transfer), val: job.val && datasetForWorker(job.val, transfer) };
  return new Promise<TrainResult>((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { job: sent }, transferList: transfer, execArgv: workerExecArgv(process.execArgv) });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => finish(() => {
      void worker.terminate();
      reject(signal!.reason);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'epoch' || msg.type === 'backend') {
        if (settled) return;
        try {
          if (msg.type === 'epoch') onEpoch?.(msg.metrics);
          else onBackend?.(msg.backend);
        } catch (err) {
          finish(() => {
            void worker.terminate();
            reject(err);
          });
        }
      } else if (msg.type === 'result') {
        finish(() => resolve(msg.result));
      } else {
        finish(() => reject(reviveError(msg.error)));
      }
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code} before returning a result`))));
  });
}
