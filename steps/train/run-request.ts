/** How a grid run becomes a training request: its identity (config hash, artifact dir) and its data. */
import type { BackendPreference } from '../../ml/backends/preferences.ts';
import { getFamily } from '../../ml/families/index.ts';
import type { StepContext } from '../../runner/context.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import type { GridRun } from '../grid/expand.ts';
import type { GridResult } from '../grid/grid-result.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import { artifactsSection } from '../sections/artifacts.ts';
import type { SplitResult } from '../split/split-result.ts';
import type { TrainingData } from './datasets.ts';
import { runArtifactDir, runConfigHash } from './run-config.ts';
import type { RunRequest } from './track-run.ts';

/** Everything a run needs except its data (shared by train and aggregate's refit). */
export function runRequest(
  ctx: StepContext,
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
    artifacts: ctx.section(artifactsSection),
  };
}

/** The data of one run: fold k trains on folds/fold<k>/train.csv and validates on val.csv; fold 0 = all of train.csv. */
export async function runData(data: TrainingData, entry: ArchitectureEntry, fold: number): Promise<Pick<RunRequest, 'train' | 'val' | 'inputDim' | 'inputShape' | 'backboneTail'>> {
  return {
    train: await data.inputs(entry, fold === 0 ? 'train.csv' : `folds/fold${fold}/train.csv`, true),
    val: fold === 0 ? undefined : await data.inputs(entry, `folds/fold${fold}/val.csv`, false),
    ...(await data.dims(entry)),
  };
}
