/** The `train` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import type { StepContext } from '../../runner/context.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import type { GridResult } from '../grid/grid-result.ts';
import type { SplitResult } from '../split/split-result.ts';
import { TrainingData } from './datasets.ts';
import { tapDataFor } from './tap-data.ts';
import { modelContentHash } from './model-content.ts';
import type { TrainParams } from './index.ts';
import { runData, runRequest } from './run-request.ts';
import { reuseFinished, trainTracked } from './track-run.ts';
import { TrainProgress } from './train-progress.ts';
import type { TrainedRun, TrainResult } from './train-result.ts';

export async function runTrain(ctx: StepContext, params: TrainParams) {
  const split = ctx.input<SplitResult>('split');
  const features = ctx.input<FeaturesResult>('features');
  const grid = ctx.input<GridResult>('grid');
  const experiment = await ctx.stores.tracking.getOrCreateExperiment(split.experiment, { dataset_version: split.datasetVersion });
  const shard = ctx.options.shard;
  const mine = grid.runs.filter((_, i) => !shard || i % shard.count === shard.index);
  if (shard) ctx.log.info(`shard ${shard.index}/${shard.count}: ${mine.length} of ${grid.runs.length} runs`);
  const data = new TrainingData(split, features, ctx.stores, tapDataFor(ctx, split, features));
  const planned = await Promise.all(
    mine.map(async (run) => {
      const request = runRequest(ctx, { experimentId: experiment.id, experiment: split.experiment, split, features, grid, run, backend: params.backend });
      return { run, request, reused: await reuseFinished(ctx, request), epochs: Number(run.params.epochs) || 1 };
    }),
  );
  const progress = new TrainProgress(ctx, mine.length, planned.filter((p) => !p.reused).map((p) => ({ name: p.run.name, epochs: p.epochs })));
  const settled = await Promise.allSettled(
    planned.map(async ({ run, request, reused, epochs }): Promise<TrainedRun> => {
      let trained = reused;
      if (!trained) {
        const hooks = progress.hooks(run.name, epochs);
        trained = await trainTracked(ctx, { ...request, ...(await runData(data, request.entry, run.fold)) }, hooks);
        hooks.finished();
      }
      const f = trained.final;
      ctx.log.info(
        `${trained.name}: val_acc ${f.val_acc.toFixed(4)} val_loss ${f.val_loss.toFixed(4)} train_loss ${f.train_loss.toFixed(4)} ` +
          (trained.reused ? '(reused a finished run)' : `(${trained.epochs} epochs, best ${trained.bestEpoch}, ${trained.trainTimeSec.toFixed(1)}s, ${trained.backend})`),
      );
      return trained;
    }),
  );
  progress.done();
  const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [`${mine[i].name}: ${(s.reason as Error).message}`] : []));
  if (failed.length) throw new Error(`${failed.length} of ${mine.length} runs failed:\n  ${failed.join('\n  ')}`);
  const runs = settled.map((s) => (s as PromiseFulfilledResult<TrainedRun>).value);
  const result: TrainResult = { experiment: split.experiment, experimentId: experiment.id, runs };
  // Content: what each run trained and the weights it produced; not run ids, timings or whether it was reused.
  const content = {
    experiment: split.experiment,
    runs: runs.map((r) => ({ name: r.name, architecture: r.architecture, combination: r.combination, fold: r.fold, params: r.params, model: modelContentHash(r.modelDir) })),
  };
  return { result, content, outputs: runs.map((r) => r.modelDir) };
}
