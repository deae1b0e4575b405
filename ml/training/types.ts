/** The contract of one training run, shared by the trainer, the worker and its caller. */
import type { BackendPreference } from '../backends/select-backend.ts';
import type { TrainableTail } from '../onnx/dequantize-tail.ts';
import type { Hyperparams } from './hyperparams.ts';

/** Row-major samples: `x` holds n rows (features: n x inputDim; pixels: n x S x S x C, NHWC), `y` class ids. */
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
}

export interface TrainJob {
  /** A registered architecture family (`ml/families`). */
  readonly family: string;
  /** The architecture entry from the pipeline file, already validated against the family's schema. */
  readonly spec: unknown;
  readonly hyper: Hyperparams;
  readonly backend: BackendPreference;
  readonly numClasses: number;
  readonly train: Dataset;
  /** Evaluated after every epoch; omit (or n = 0) to train without validation (e.g. a refit on all data). */
  readonly val?: Dataset;
  /** Feature families: the feature size. */
  readonly inputDim?: number;
  /** Pixel families: [S, S, C] (NHWC). */
  readonly inputShape?: readonly [number, number, number];
  /** Families with a tap (`finetune`): the dequantized backbone layers they start from. */
  readonly backboneTail?: TrainableTail;
}

/**
 * One epoch, Keras semantics: train_* are running means over the epoch's batches (weights changing as they go),
 * val_* are evaluated after the epoch. Losses are the mean softmax cross-entropy against the targets (smoothed when
 * label_smoothing > 0), without the L2 penalty, so runs with different weight_decay compare on one scale.
 */
export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  readonly train_loss: number;
  readonly train_acc: number;
  /** Absent when the job has no validation data. */
  readonly val_loss?: number;
  readonly val_acc?: number;
  /** Wall time of the epoch, including validation. */
  readonly seconds: number;
}

/** What `model.save` produces, with the weights in one buffer. */
export interface TrainedArtifacts {
  readonly modelTopology: object;
  readonly weightSpecs: WeightSpec[];
  readonly weightData: ArrayBuffer;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
}

export interface TrainResult {
  readonly epochs: EpochMetrics[];
  readonly trainTimeSec: number;
  readonly backend: { readonly name: string; readonly detail: string };
  readonly artifacts: TrainedArtifacts;
  /** The epoch (1-based) whose weights `artifacts` holds: the best val_loss under early stopping, else the last. */
  readonly bestEpoch: number;
  readonly stoppedEarly: boolean;
}
