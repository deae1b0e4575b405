// onnxruntime in a worker thread (see server/ort-session.ts for the protocol and why).
// Plain JavaScript on purpose: a worker does not inherit tsx when the CLI registers it through its API, so this
// file must load without a TypeScript loader. It only assembles batches and forwards to onnxruntime-node.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const port = parentPort;
/** `busy`: the session for batches under load; `idle` (optional): more threads for a lone request. */
const sessions = {};
/** The shared TensorPool (inputs are read in place), if the main thread has one. */
const pool = workerData.pool ? new Float32Array(workerData.pool) : undefined;
/** One batch buffer, grown as needed and reused by every run. */
let batch = new Float32Array(0);

try {
  const model = new Uint8Array(workerData.model);
  sessions.busy = await ort.InferenceSession.create(model, workerData.options.busy);
  if (workerData.options.idle) sessions.idle = await ort.InferenceSession.create(model, workerData.options.idle);
  port.postMessage({ type: 'ready', inputNames: sessions.busy.inputNames, outputNames: sessions.busy.outputNames });
} catch (err) {
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}

port.on('message', async (msg) => {
  // An exit as a crash would cause it (the supervisor's and the tests' way to kill this thread safely: a
  // Worker.terminate() that lands inside onnxruntime's native run aborts the whole process).
  if (msg.type === 'exit') process.exit(1);
  if (msg.type === 'release') {
    await sessions.busy?.release();
    await sessions.idle?.release();
    port.close();
    return;
  }
  try {
    const size = msg.itemDims.reduce((a, b) => a * b, 1);
    const n = msg.parts.length;
    if (batch.length < n * size) batch = new Float32Array(n * size);
    msg.parts.forEach((part, i) => {
      const src = part.data ?? pool.subarray(part.offset, part.offset + size);
      if (src.length !== size) throw new Error(`input ${i} has ${src.length} floats, expected ${size}`);
      batch.set(src, i * size);
    });
    const session = (msg.idle && sessions.idle) || sessions.busy;
    const input = new ort.Tensor('float32', batch.subarray(0, n * size), [n, ...msg.itemDims]);
    const res = await session.run({ [msg.input]: input });
    const out = res[msg.output];
    // A fresh copy owns its buffer, so it can be transferred instead of cloned.
    const data = out.type === 'float32' ? new Float32Array(out.data) : Float32Array.from(out.data, Number);
    // The penultimate features (monitoring), when the model has that second output.
    const f = msg.features ? res[msg.features] : undefined;
    const features = f ? { data: f.type === 'float32' ? new Float32Array(f.data) : Float32Array.from(f.data, Number), dims: f.dims } : undefined;
    port.postMessage({ type: 'result', id: msg.id, data, dims: out.dims, dtype: out.type, features }, features ? [data.buffer, features.data.buffer] : [data.buffer]);
  } catch (err) {
    port.postMessage({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  }
});
