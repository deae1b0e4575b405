/**
 * The split stage's record in the data-versioning store: the version (named after its manifests' hash), every
 * image with its split and validation fold, the source root and the subset that selected it.
 */
import type { StepContext } from '../../runner/context.ts';
import type { DatasetImage } from '../../stores/data-version-store.ts';
import type { DataSection } from '../sections/data.ts';
import type { ManifestEntry } from './manifest.ts';
import type { SplitResult } from './split-result.ts';

export async function recordDataVersion(
  ctx: StepContext,
  split: SplitResult,
  parts: { name: string; subset: DataSection['subset']; train: readonly ManifestEntry[]; test: readonly ManifestEntry[]; folds: readonly number[] },
): Promise<void> {
  const images: DatasetImage[] = [
    // `folds[i]` is the 0-based fold whose validation part holds train image i; stored 1-based like fold<k> runs.
    ...parts.train.map((e, i) => ({ path: e.path, className: e.className, sha256: e.sha256, split: 'train' as const, fold: parts.folds[i]! + 1 })),
    ...parts.test.map((e) => ({ path: e.path, className: e.className, sha256: e.sha256, split: 'test' as const, fold: null })),
  ];
  const { created } = await ctx.stores.dataVersions.record({
    version: split.datasetVersion,
    manifestHash: split.manifestHash,
    name: parts.name,
    sourceRoot: split.root,
    layout: split.layout,
    subset: { ...parts.subset },
    classes: split.classes,
    folds: split.folds,
    images,
    excluded: split.excluded,
  });
  ctx.log.info(`${created ? 'recorded' : 'already recorded'} dataset version ${split.datasetVersion} (${images.length} images): pipeline data show ${split.datasetVersion}`);
}
