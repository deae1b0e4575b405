// Runs one `evaluateWindow` off the server's event loop (monitor/evaluate-off-thread.ts). Plain JavaScript that
// registers tsx itself (a worker does not inherit the CLI's loader), then loads the TypeScript library.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  const { evaluateWindow } = await import('../ml/monitoring/evaluate.ts');
  parentPort.postMessage({ ok: true, evaluation: evaluateWindow(workerData.profile, workerData.window, workerData.config) });
} catch (err) {
  parentPort.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
}
