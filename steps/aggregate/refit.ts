/**
 * Refit: after cross-validation picked a configuration, train it once more on the whole training split (all
 * folds), as practitioners do, instead of exporting a model that saw only K-1 folds. Under early stopping the
 * refit trains for the mean best epoch of the configuration's folds (there is no validation data left).
 */
import type { GridRun } from '../grid/expand.ts';
import type { TrainedRun } from '../train/train-result.ts';

export function refitRun(winner: { architecture: string; combination: string; params: Readonly<Record<string, unknown>> }, folds: readonly TrainedRun[]): GridRun {
  const params: Record<string, unknown> = { ...winner.params };
  if (params.early_stopping !== undefined) {
    const mean = folds.reduce((s, r) => s + r.bestEpoch, 0) / Math.max(1, folds.length);
    params.epochs = Math.max(1, Math.round(mean));
    delete params.early_stopping;
  }
  return { name: `${winner.architecture}_${winner.combination}_refit`, architecture: winner.architecture, combination: winner.combination, fold: 0, params };
}
