/**
 * Inside the training worker thread: runs the job from `workerData`, streams epoch metrics to the parent, and
 * posts the result (weights transferred, not copied) or the error with its message and stack.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainRun } from './train-run.ts';
import type { TrainJob } from './types.ts';
import type { WorkerMessage } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('ml/training/worker.ts must run in a worker thread (use runInWorker)');

const post = (msg: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

try {
  const job = (workerData as { job: TrainJob }).job;
  const result = await trainRun(job, (metrics) => post({ type: 'epoch', metrics }), {
    onBackend: (backend) => post({ type: 'backend', backend }),
  });
  post({ type: 'result', result }, [result.artifacts.weightData]);
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  post({ type: 'error', error: { name: e.name, message: e.message, stack: e.stack } });
}
