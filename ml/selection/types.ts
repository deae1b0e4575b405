/**
 * The shapes model selection reads and returns. Everything here is plain JSON: the selection is written into
 * `outputs/metrics/summary.json` and rendered in the report as is.
 */

/** Final-epoch metrics of one run. */
export type FinalMetrics = {
  train_loss: number;
  train_acc: number;
  val_loss: number;
  val_acc: number;
};

/** One finished run: architecture x hyperparameter combination x fold. */
export type RunRecord = {
  runId: string;
  /** `<arch>_<combo>_fold<k>`. */
  name: string;
  architecture: string;
  /** The combination's id within its architecture's grid, e.g. `c1`. */
  combination: string;
  params: Record<string, unknown>;
  fold: number;
  final: FinalMetrics;
};

export type SelectOptions = {
  /** Drop runs whose |train_loss - val_loss| exceeds this (the original used 0.25); `null` disables the filter. */
  maxLossGap: number | null;
  /** Weights of the normalised mean val_acc and of (1 - normalised mean val_loss) in the score. */
  weights: { accuracy: number; loss: number };
};

/** Mean and sample standard deviation (n - 1; 0 for a single value) over folds. */
export type MeanStd = { mean: number; std: number };

/** One (architecture, combination) averaged over its kept folds. */
export type Candidate = {
  /** 1 = best score over all candidates (same tie-breaks as the per-architecture pick). */
  rank: number;
  architecture: string;
  combination: string;
  params: Record<string, unknown>;
  /** Folds kept after the gap filter, ascending, and their runs in the same order. */
  folds: number[];
  runIds: string[];
  train_loss: MeanStd;
  train_acc: MeanStd;
  val_loss: MeanStd;
  val_acc: MeanStd;
  /** Min-max normalised mean val_acc and mean val_loss over all candidates (see `select`). */
  norm: { val_acc: number; val_loss: number };
  score: number;
  /** True when every run of this architecture exceeded the gap and the filter was waived for it. */
  gapFilterRelaxed: boolean;
};

/** The run chosen inside a candidate: its best fold. */
export type BestRun = { runId: string; name: string; fold: number; final: FinalMetrics };

/** The best combination of one architecture and its best fold. */
export type ArchitecturePick = {
  architecture: string;
  combination: string;
  params: Record<string, unknown>;
  score: number;
  gapFilterRelaxed: boolean;
  bestRun: BestRun;
};

/** A run left out of selection, and why (the gap, or non-finite metrics). */
export type DroppedRun = {
  runId: string;
  name: string;
  architecture: string;
  combination: string;
  fold: number;
  reason: string;
};

/** An architecture whose runs all exceeded the gap: they were kept so it still competes, with this note. */
export type RelaxedArchitecture = { architecture: string; runs: number; minGap: number; reason: string };

export type Selection = {
  options: SelectOptions;
  /** All candidates, best score first. */
  candidates: Candidate[];
  /** One entry per architecture, best score first. */
  perArchitecture: ArchitecturePick[];
  dropped: DroppedRun[];
  relaxed: RelaxedArchitecture[];
};
