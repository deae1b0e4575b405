/** Hyperparameters of one training run: the grid's `params` combine into these. */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';

export const hyperparamsSchema = Type.Object(
  {
    lr: Type.Number({ exclusiveMinimum: 0, description: 'Learning rate.' }),
    epochs: Type.Integer({ minimum: 1, description: 'Maximum number of passes over the training data.' }),
    batch_size: Type.Integer({ minimum: 1, description: 'Samples per gradient step.' }),
    optimizer: Type.Optional(
      StringEnum(['adam', 'sgd', 'momentum'], { default: 'adam', description: 'adam, plain sgd, or sgd with momentum 0.9 (default adam).' }),
    ),
    lr_schedule: Type.Optional(
      StringEnum(['constant', 'cosine'], {
        default: 'constant',
        description: 'constant lr, or cosine decay from lr to 0 over the epochs (lets a stochastic optimizer settle at the optimum of a convex head such as the linear probe). Default constant.',
      }),
    ),
    weight_decay: Type.Optional(
      Type.Number({ minimum: 0, default: 0, description: 'L2 penalty on kernels: adds weight_decay * sum(w^2) to the training objective (Keras l2); reported losses exclude it. Default 0.' }),
    ),
    label_smoothing: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Mixes the one-hot targets with the uniform distribution. Default 0.' }),
    ),
    early_stopping: Type.Optional(
      Type.Object(
        {
          patience: Type.Integer({ minimum: 1, description: 'Epochs without val_loss improvement before stopping.' }),
          min_delta: Type.Optional(Type.Number({ minimum: 0, default: 0, description: 'Smallest decrease of val_loss that counts as an improvement.' })),
        },
        { additionalProperties: false, description: 'Stop when val_loss stops improving and restore the best epoch\'s weights. Omit to train all epochs.' },
      ),
    ),
    seed: Type.Optional(Type.Integer({ default: 42, description: 'Seeds initialisation, shuffling and dropout. Default 42.' })),
  },
  { additionalProperties: false, description: 'Hyperparameters of one training run.' },
);
export type Hyperparams = Static<typeof hyperparamsSchema>;

export interface ResolvedHyperparams {
  readonly lr: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: 'adam' | 'sgd' | 'momentum';
  readonly lrSchedule: 'constant' | 'cosine';
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  readonly earlyStopping?: { readonly patience: number; readonly minDelta: number };
  readonly seed: number;
}

/**
 * The learning rate of epoch `epoch` (1-based): constant, or cosine-decayed from lr (epoch 1) towards 0 (the last
 * epoch runs at lr * (1 - cos(pi / epochs)) / 2, never exactly 0, so every epoch still moves the weights).
 */
export function learningRateAt(hp: Pick<ResolvedHyperparams, 'lr' | 'lrSchedule' | 'epochs'>, epoch: number): number {
  if (hp.lrSchedule === 'constant') return hp.lr;
  return (hp.lr * (1 + Math.cos((Math.PI * (epoch - 1)) / hp.epochs))) / 2;
}

/** Applies the defaults. */
export function resolveHyperparams(h: Hyperparams): ResolvedHyperparams {
  return {
    lr: h.lr,
    epochs: h.epochs,
    batchSize: h.batch_size,
    optimizer: (h.optimizer ?? 'adam') as ResolvedHyperparams['optimizer'],
    lrSchedule: (h.lr_schedule ?? 'constant') as ResolvedHyperparams['lrSchedule'],
    weightDecay: h.weight_decay ?? 0,
    labelSmoothing: h.label_smoothing ?? 0,
    earlyStopping: h.early_stopping ? { patience: h.early_stopping.patience, minDelta: h.early_stopping.min_delta ?? 0 } : undefined,
    seed: h.seed ?? 42,
  };
}
