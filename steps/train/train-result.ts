/** What the train stage hands to aggregate (also what aggregate's refit produces for one run). */
export interface TrainedRun {
  readonly name: string;
  readonly runId: string;
  readonly architecture: string;
  readonly family: string;
  readonly combination: string;
  /** 1-based fold; 0 for a refit on the whole training split. */
  readonly fold: number;
  readonly params: Readonly<Record<string, unknown>>;
  /** Metrics of the epoch whose weights were kept (the best epoch under early stopping, else the last). */
  readonly final: { readonly train_loss: number; readonly train_acc: number; readonly val_loss: number; readonly val_acc: number };
  readonly bestEpoch: number;
  readonly epochs: number;
  readonly trainTimeSec: number;
  readonly backend: string;
  /** Directory of the saved model (model.json + weights.bin). */
  readonly modelDir: string;
  /** PNG of train/val loss and accuracy per epoch. */
  readonly curves: string;
  /** True when a finished run with the same configuration was found in the tracking store and reused. */
  readonly reused: boolean;
}

export interface TrainResult {
  readonly experiment: string;
  readonly experimentId: number;
  readonly runs: readonly TrainedRun[];
}
