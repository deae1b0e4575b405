/**
 * Training throughput of the head family on synthetic features (the shape of the real grid: ~2,000 samples of
 * 1280-d, 13 classes). Usage: node --import tsx scripts/bench-heads.ts [backend=wasm] [epochs=5] [batch=64]
 * Prints samples/s for a linear and an MLP head: by wall clock (epochs only) and per CPU-second of the whole run
 * (setup included), which is steadier on a busy machine.
 */
import type { BackendPreference } from '../ml/backends/select-backend.ts';
import { trainRun } from '../ml/training/train-run.ts';
import { syntheticFeatures } from './synthetic-features.ts';

const backend = (process.argv[2] ?? 'wasm') as BackendPreference;
const epochs = Number(process.argv[3] ?? 5);
const batch = Number(process.argv[4] ?? 64);
const n = 2000, dim = 1280, classes = 13;

const synthetic = (rows: number, seed: number) => syntheticFeatures(rows, seed, { dim, classes, signal: 0.5 });

const train = synthetic(n, 1);
const val = synthetic(400, 2);
for (const [label, layers] of [['linear', []], ['mlp-256', [{ dense: 256, activation: 'relu' }, { dropout: 0.3 }]]] as const) {
  const cpu0 = process.cpuUsage();
  const r = await trainRun(
    { family: 'head', spec: { family: 'head', layers }, hyper: { lr: 1e-3, epochs, batch_size: batch }, backend, numClasses: classes, train, val, inputDim: dim },
    () => {},
  );
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const wallSec = r.epochs.reduce((s, e) => s + e.seconds, 0);
  const rate = (sec: number) => (n * epochs / sec).toFixed(0).padStart(6);
  console.log(`${label.padEnd(8)} ${r.backend.name.padEnd(5)} batch ${String(batch).padEnd(4)} ${rate(wallSec)} samples/s wall, ${rate(cpuSec)} per cpu-second (whole run incl. setup and validation), val_acc ${r.epochs.at(-1)!.val_acc!.toFixed(3)}`);
}
