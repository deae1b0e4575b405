/**
 * "Which photos trained this model": a registered version's lineage names its dataset version and run; the
 * data-versioning store holds that version's images. A refit model trained on the whole training split; a fold
 * model on the training part of its fold (every training image whose validation fold is another).
 */
import type { DatasetImage, DatasetVersion } from '../../stores/data-version-store.ts';
import type { Stores } from '../../stores/index.ts';
import type { ModelVersion } from '../../stores/registry-types.ts';

export interface TrainingData {
  readonly version: string;
  /** False when the dataset version is not in the store (registered before data versioning, or another store). */
  readonly recorded: boolean;
  readonly manifestHash?: string;
  readonly sourceRoot?: string;
  readonly subset?: DatasetVersion['subset'];
  readonly counts?: DatasetVersion['counts'];
  /** `train split (refit)` or `training part of fold <k>`. */
  readonly trainedOn?: string;
  readonly trainingImages?: number;
  readonly photos?: readonly DatasetImage[];
}

export async function trainingData(stores: Stores, v: ModelVersion, opts: { photos: boolean }): Promise<TrainingData | undefined> {
  const ref = v.lineage['dataset_version'];
  if (typeof ref !== 'string') return undefined;
  const dv = await stores.dataVersions.get(ref);
  if (!dv) return { version: ref, recorded: false };
  const runId = v.lineage['run_id'];
  const run = v.lineage['refit'] === true || typeof runId !== 'string' ? undefined : await stores.tracking.getRun(runId);
  const fold = run ? Number(run.tags['fold']) : NaN;
  const byFold = Number.isInteger(fold) && fold >= 1;
  const photos = await stores.dataVersions.images(dv.version, byFold ? { trainOfFold: fold } : { split: 'train' });
  return {
    version: dv.version,
    recorded: true,
    manifestHash: dv.manifestHash,
    sourceRoot: dv.sourceRoot,
    subset: dv.subset,
    counts: dv.counts,
    trainedOn: byFold ? `training part of fold ${fold}` : 'train split (refit)',
    trainingImages: photos.length,
    ...(opts.photos ? { photos } : {}),
  };
}
