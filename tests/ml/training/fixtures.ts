/** Synthetic, separable feature sets for training tests (generated, never stored). */
import { mulberry32 } from '../../../ml/random.ts';
import type { Dataset, TrainJob } from '../../../ml/training/types.ts';

/** `classes` Gaussian blobs in `dim` dimensions, `n` rows; `shift` separates the class means. */
export function blobs(n: number, dim: number, classes: number, seed: number, shift = 1.5): Dataset {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let j = 0; j < dim; j++) x[i * dim + j] = gauss() + (j % classes === y[i] ? shift : 0);
  }
  return { x, y, n };
}

export function headJob(overrides: Partial<TrainJob> = {}): TrainJob {
  return {
    family: 'head',
    spec: { family: 'head', layers: [{ dense: 16, activation: 'relu' }, { dropout: 0.2 }] },
    hyper: { lr: 0.01, epochs: 6, batch_size: 32, seed: 42 },
    backend: 'wasm',
    numClasses: 4,
    train: blobs(256, 24, 4, 1),
    val: blobs(128, 24, 4, 2),
    inputDim: 24,
    ...overrides,
  };
}
