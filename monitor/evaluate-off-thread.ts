/**
 * `evaluateWindow` in a short-lived worker thread: one window costs ~0.5 s of CPU (mostly the MMD permutations),
 * which on the server's main thread would stall every request in flight for that long (measured: c=1 p99 rose
 * from ~40 ms to ~300 ms with the loop evaluating every 5 s). One worker per evaluation: they are rare (one per
 * window of requests, at most one per `interval_s`), so there is nothing to keep warm.
 */
import { Worker } from 'node:worker_threads';
import type { MonitorConfigInput } from '../ml/monitoring/config.ts';
import type { WindowEvaluation, WindowRecord } from '../ml/monitoring/evaluate.ts';
import type { ReferenceProfile } from '../ml/monitoring/profile.ts';

export function evaluateOffThread(profile: ReferenceProfile, window: readonly WindowRecord[], config: MonitorConfigInput): Promise<WindowEvaluation> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./evaluate-worker.mjs', import.meta.url), { workerData: { profile, window, config }, execArgv: [] });
    worker.once('message', (m: { ok: true; evaluation: WindowEvaluation } | { ok: false; message: string }) => {
      if (m.ok) resolve(m.evaluation);
      else reject(new Error(`monitoring evaluation: ${m.message}`));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`monitoring evaluation worker exited (code ${code}) before answering`)));
  });
}
