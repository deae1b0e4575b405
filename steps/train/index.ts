/**
 * Stage `train`: trains every grid run (or this shard's share, `--shard i/n`) on the best available tfjs backend,
 * two at a time on two cores (worker threads through the `cpu` pool), tracked in the tracking store. Runs already
 * finished with the same configuration are reused, so a train stage killed half-way resumes where it stopped.
 */
import Type from 'typebox';
import { backendPreferences, type BackendPreference } from '../../ml/backends/select-backend.ts';
import { getFamily } from '../../ml/families/index.ts';
import { defineStep } from '../../runner/step.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import type { GridResult } from '../grid/grid-result.ts';
import type { GridRun } from '../grid/expand.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import type { SplitResult } from '../split/split-result.ts';
import { TrainingData } from './datasets.ts';
import { runArtifactDir, runConfigHash } from './run-config.ts';
import { reuseFinished, trainTracked, type RunRequest } from './track-run.ts';
import type { TrainedRun, TrainResult } from './train-result.ts';

const schema = Type.Object(
  {
    backend: Type.Union(
      backendPreferences.map((b) => Type.Literal(b)),
      {
        default: 'auto',
        description: "tfjs backend: 'auto' picks tfjs-node-gpu, then tfjs-node, then wasm (heads only: it cannot train convolutions), then plain cpu.",
      },
    ),
  },
  { additionalProperties: false },
);

/** Everything a run needs except its data (shared by train and aggregate's refit). */
export function runRequest(
  ctx: Parameters<typeof trainStep.run>[0],
  opts: { experimentId: number; experiment: string; split: SplitResult; features: FeaturesResult; grid: GridResult; run: GridRun; backend: BackendPreference },
): Omit<RunRequest, 'train' | 'val'> {
  const entry = opts.grid.architectures[opts.run.architecture];
  const configHash = runConfigHash({
    datasetVersion: opts.split.datasetVersion,
    featureSpace: getFamily(entry.family).input === 'features' ? opts.features.space : opts.features.preprocessing,
    views: opts.features.views,
    tta: opts.features.tta,
    architecture: entry,
    params: opts.run.params,
    fold: opts.run.fold,
    backend: opts.backend,
  });
  return {
    experimentId: opts.experimentId,
    name: opts.run.name,
    architecture: opts.run.architecture,
    entry,
    combination: opts.run.combination,
    fold: opts.run.fold,
    params: opts.run.params,
    configHash,
    artifactDir: runArtifactDir(ctx.paths.experiments, opts.experiment, opts.run.name, configHash),
    backend: opts.backend,
    numClasses: opts.split.classes.length,
    tags: { dataset_version: opts.split.datasetVersion },
  };
}

/** The data of one run: fold k trains on folds/fold<k>/train.csv and validates on val.csv; fold 0 = all of train.csv. */
export async function runData(data: TrainingData, entry: ArchitectureEntry, fold: number): Promise<Pick<RunRequest, 'train' | 'val' | 'inputDim' | 'inputShape'>> {
  return {
    train: await data.inputs(entry, fold === 0 ? 'train.csv' : `folds/fold${fold}/train.csv`, true),
    val: fold === 0 ? undefined : await data.inputs(entry, `folds/fold${fold}/val.csv`, false),
    ...data.dims(entry),
  };
}

export const trainStep = defineStep({
  name: 'train',
  version: 1,
  description: 'Train every grid run (two at a time in worker threads), tracked with per-epoch metrics, weights and curves.',
  schema,
  needs: ['split', 'features', 'grid'],
  resource: 'cpu',
  async run(ctx, params) {
    const split = ctx.input<SplitResult>('split');
    const features = ctx.input<FeaturesResult>('features');
    const grid = ctx.input<GridResult>('grid');
    const experiment = ctx.stores.tracking.getOrCreateExperiment(split.experiment, { dataset_version: split.datasetVersion });
    const shard = ctx.options.shard;
    const mine = grid.runs.filter((_, i) => !shard || i % shard.count === shard.index);
    if (shard) ctx.log.info(`shard ${shard.index}/${shard.count}: ${mine.length} of ${grid.runs.length} runs`);
    const data = new TrainingData(split, features, ctx.stores);
    const progress = ctx.progress('runs', mine.length, 'runs');
    const settled = await Promise.allSettled(
      mine.map(async (run): Promise<TrainedRun> => {
        const request = runRequest(ctx, { experimentId: experiment.id, experiment: split.experiment, split, features, grid, run, backend: params.backend });
        const reused = reuseFinished(ctx, request);
        const trained = reused ?? (await trainTracked(ctx, { ...request, ...(await runData(data, request.entry, run.fold)) }));
        progress.tick();
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
    return { result, outputs: runs.map((r) => r.modelDir) };
  },
});
