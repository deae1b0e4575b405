/**
 * One training run: pick the backend, build the family's model, train with seeded shuffles and dropout,
 * validate after every epoch, stop early on val_loss when asked (restoring the best weights), and hand back the
 * metrics and the trained weights. Runs inside a worker thread (`worker.ts`) but does not depend on it.
 */
import { selectBackend } from '../backends/select-backend.ts';
import { getFamily, type Family } from '../families/index.ts';
import { mulberry32, seedFrom } from '../random.ts';
import { modelArtifacts } from './artifacts.ts';
import { learningRateAt, resolveHyperparams } from './hyperparams.ts';
import { createTrainer, hostBatches } from './train-loop.ts';
import type { Dataset, EpochMetrics, TrainJob, TrainResult } from './types.ts';

/** The shape of one sample for the family (features: [d]; pixels: [S, S, C]). */
export function sampleShape(job: TrainJob, family: Family): number[] {
  if (family.input === 'features') {
    const d = job.inputDim ?? (job.train.n > 0 ? job.train.x.length / job.train.n : 0);
    if (!Number.isInteger(d) || d < 1) throw new Error(`family ${family.name}: cannot tell the feature size; pass inputDim`);
    return [d];
  }
  if (!job.inputShape) throw new Error(`family ${family.name} trains from pixels: pass inputShape [S, S, C] (NHWC)`);
  return [...job.inputShape];
}

function checkDataset(label: string, data: Dataset, perSample: number, numClasses: number): void {
  if (!Number.isInteger(data.n) || data.n < 0) throw new Error(`${label}: n must be a non-negative integer, got ${data.n}`);
  if (data.x.length < data.n * perSample) throw new Error(`${label}: x has ${data.x.length} values, expected ${data.n} x ${perSample}`);
  if (data.y.length < data.n) throw new Error(`${label}: y has ${data.y.length} labels for n = ${data.n}`);
  for (let i = 0; i < data.n; i++) {
    const c = data.y[i]!;
    if (!(c >= 0 && c < numClasses)) throw new Error(`${label}: label ${c} at row ${i} is outside 0..${numClasses - 1}`);
  }
}

function permutation(n: number, rand: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

export interface TrainRunOptions {
  /** Stops between epochs; the run rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called once the backend is chosen, before the first epoch: the caller logs which one runs and why. */
  readonly onBackend?: (backend: { name: string; detail: string }) => void;
}

/** Trains one model. `onEpoch` is called after every epoch. */
export async function trainRun(job: TrainJob, onEpoch: (e: EpochMetrics) => void, options: TrainRunOptions = {}): Promise<TrainResult> {
  const { signal } = options;
  const family = getFamily(job.family);
  const hp = resolveHyperparams(job.hyper);
  const shape = sampleShape(job, family);
  const perSample = shape.reduce((a, b) => a * b, 1);
  checkDataset('train', job.train, perSample, job.numClasses);
  if (job.train.n === 0) throw new Error('train: no samples');
  const hasVal = !!job.val && job.val.n > 0;
  if (job.val) checkDataset('val', job.val, perSample, job.numClasses);
  if (hp.earlyStopping && !hasVal) throw new Error('early_stopping needs validation data (val)');

  const backend = await selectBackend(job.backend, { convTraining: family.input === 'pixels' });
  const { tf } = backend;
  options.onBackend?.({ name: backend.name, detail: backend.detail });
  const model = family.build(tf, job.spec as never, {
    inputDim: family.input === 'features' ? shape[0] : undefined,
    inputSize: family.input === 'pixels' ? shape[0] : undefined,
    channels: family.input === 'pixels' ? shape[2] : undefined,
    numClasses: job.numClasses,
    seed: hp.seed,
    backboneTail: job.backboneTail,
  });
  const trainer = createTrainer(tf, model, hp, family.input === 'pixels' ? 32 : 2048);
  const train = hostBatches(tf, job.train, shape, job.numClasses, hp.labelSmoothing);
  const val = hasVal ? hostBatches(tf, job.val!, shape, job.numClasses, hp.labelSmoothing) : undefined;
  const shuffleRand = mulberry32(seedFrom(hp.seed, 'shuffle'));
  const dropoutRand = mulberry32(seedFrom(hp.seed, 'dropout'));

  const epochs: EpochMetrics[] = [];
  let best = { loss: Infinity, epoch: 0 };
  let stoppedEarly = false;
  const t0 = performance.now();
  try {
    for (let epoch = 1; epoch <= hp.epochs; epoch++) {
      signal?.throwIfAborted();
      const e0 = performance.now();
      if (hp.lrSchedule !== 'constant') trainer.setLearningRate(learningRateAt(hp, epoch));
      const tr = trainer.trainEpoch(train, permutation(train.n, shuffleRand), dropoutRand);
      const va = val ? trainer.evaluate(val) : undefined;
      const metrics: EpochMetrics = {
        epoch,
        train_loss: tr.loss,
        train_acc: tr.acc,
        ...(va ? { val_loss: va.loss, val_acc: va.acc } : {}),
        seconds: (performance.now() - e0) / 1000,
      };
      epochs.push(metrics);
      onEpoch(metrics);
      if (!Number.isFinite(tr.loss)) throw new Error(`training diverged: train_loss is ${tr.loss} at epoch ${epoch} (lower lr?)`);
      if (hp.earlyStopping && va) {
        if (va.loss < best.loss - hp.earlyStopping.minDelta) {
          best = { loss: va.loss, epoch };
          trainer.snapshot();
        } else if (epoch - best.epoch >= hp.earlyStopping.patience) {
          stoppedEarly = true;
          break;
        }
      }
      // Let the event loop run (abort signals, worker messages) between epochs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const last = epochs.length;
    const bestEpoch = hp.earlyStopping && best.epoch > 0 ? best.epoch : last;
    if (bestEpoch !== last) trainer.restore();
    const trainTimeSec = (performance.now() - t0) / 1000;
    const artifacts = await modelArtifacts(tf, model);
    return { epochs, trainTimeSec, backend: { name: backend.name, detail: backend.detail }, artifacts, bestEpoch, stoppedEarly };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
