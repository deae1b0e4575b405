/** Synthetic, learnable "backbone features" for training benchmarks: class c lifts every feature j with j % C = c. */
import { mulberry32 } from '../ml/random.ts';
import type { Dataset } from '../ml/training/types.ts';

export function syntheticFeatures(rows: number, seed: number, opts: { dim?: number; classes?: number; signal?: number } = {}): Dataset {
  const { dim = 1280, classes = 13, signal = 0.3 } = opts;
  const rand = mulberry32(seed);
  const x = new Float32Array(rows * dim);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = i % classes;
    for (let j = 0; j < dim; j++) x[i * dim + j] = rand() + (j % classes === y[i] ? signal : 0);
  }
  return { x, y, n: rows };
}
