/**
 * The grid's shape end to end: `runs` head trainings (half linear, half a 256-unit MLP) on synthetic 1280-d
 * features of 13 classes, `parallel` worker threads at a time, each up to `epochs` epochs.
 * Usage: node --import tsx scripts/bench-grid.ts [runs=12] [parallel=2] [epochs=40] [n=2000] [batch=64]
 */
import { runInWorker, shareDataset } from '../ml/training/run-in-worker.ts';
import type { TrainJob } from '../ml/training/types.ts';
import { syntheticFeatures } from './synthetic-features.ts';

const [runs, parallel, epochs, n, batch] = [12, 2, 40, 2000, 64].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number, number, number];
const dim = 1280, classes = 13;

const synthetic = (rows: number, seed: number) => shareDataset(syntheticFeatures(rows, seed, { dim, classes }));

const train = synthetic(n, 1);
const val = synthetic(Math.round(n / 4), 2);
const jobs: TrainJob[] = Array.from({ length: runs }, (_, i) => ({
  family: 'head',
  spec: { family: 'head', layers: i % 2 ? [{ dense: 256, activation: 'relu' }, { dropout: 0.3 }] : [] },
  hyper: { lr: i % 4 < 2 ? 1e-3 : 3e-4, epochs, batch_size: batch, seed: i },
  backend: 'auto',
  numClasses: classes,
  train,
  val,
  inputDim: dim,
}));

const t0 = performance.now();
let next = 0;
async function lane(): Promise<void> {
  while (next < jobs.length) {
    const i = next++;
    const s = performance.now();
    const r = await runInWorker(jobs[i]!);
    const kind = (jobs[i]!.spec as { layers: unknown[] }).layers.length ? 'mlp   ' : 'linear';
    console.log(`run ${String(i).padStart(2)} ${kind} ${r.backend.name}: ${((performance.now() - s) / 1000).toFixed(1)}s total, ${r.trainTimeSec.toFixed(1)}s training, val_acc ${r.epochs.at(-1)!.val_acc!.toFixed(3)}`);
  }
}
await Promise.all(Array.from({ length: parallel }, lane));
console.log(`${runs} runs x ${epochs} epochs x ${n} samples, ${parallel} in parallel: ${((performance.now() - t0) / 1000).toFixed(1)}s`);
