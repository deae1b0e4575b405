/**
 * Refit: after cross-validation picked a configuration, train it once more on the whole training split (all
 * folds), as practitioners do, instead of exporting a model that saw only K-1 folds. Under early stopping the
 * refit trains for the mean best epoch of the configuration's folds (there is no validation data left).
 */
import type { StepContext } from '../../runner/context.ts';
import type { GridRun } from '../grid/expand.ts';
import type { TrainingData } from '../train/datasets.ts';
import { runData, runRequest } from '../train/run-request.ts';
import { reuseFinished, trainTracked } from '../train/track-run.ts';
import { TrainProgress } from '../train/train-progress.ts';
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

/**
 * Trains the refit of a configuration under the selection run `parentRunId`, or reuses a finished run with the
 * same configuration from the tracking store.
 */
export async function trainRefit(
  ctx: StepContext,
  base: Omit<Parameters<typeof runRequest>[1], 'run'>,
  data: TrainingData,
  parentRunId: string,
  candidate: { architecture: string; combination: string; params: Readonly<Record<string, unknown>> },
  folds: readonly TrainedRun[],
): Promise<TrainedRun> {
  const run = refitRun(candidate, folds);
  const request = { ...runRequest(ctx, { ...base, run }), parentRunId };
  const reused = await reuseFinished(ctx, request);
  if (reused) return reused;
  ctx.log.info(`refitting ${candidate.architecture} ${candidate.combination} on the whole training split (${run.params.epochs} epochs)`);
  const epochs = Number(run.params.epochs) || 1;
  const progress = new TrainProgress(ctx, 1, [{ name: run.name, epochs }]);
  const hooks = progress.hooks(run.name, epochs);
  const trained = await trainTracked(ctx, { ...request, ...(await runData(data, request.entry, 0)) }, hooks);
  hooks.finished();
  progress.done();
  return trained;
}
