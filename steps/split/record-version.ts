/**
 * The split stage's record in the data-versioning store: the version (named after its manifests' hash), every
 * image with its split and validation fold, the source root and the subset that selected it. Read back from the
 * manifests the stage just wrote, so the record is exactly what later stages read.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StepContext } from '../../runner/context.ts';
import type { DatasetImage } from '../../stores/data-version-store.ts';
import { dataSection } from '../sections/data.ts';
import { parseCsv } from './manifest.ts';
import type { SplitResult } from './split-result.ts';

/** `quietIfKnown`: say nothing when the version was already recorded (the register step's check). */
export async function recordDataVersion(ctx: StepContext, split: SplitResult, opts: { quietIfKnown?: boolean } = {}): Promise<void> {
  const data = ctx.section(dataSection);
  const read = (name: string) => parseCsv(fs.readFileSync(path.join(split.dir, name), 'utf8'));
  // Each training image sits in the validation part of exactly one fold (1-based, like the fold<k> runs).
  const foldOf = new Map<string, number>();
  for (let k = 1; k <= split.folds; k++) for (const e of read(`folds/fold${k}/val.csv`)) foldOf.set(e.path, k);
  const images: DatasetImage[] = [
    ...read('train.csv').map((e) => ({ path: e.path, className: e.className, sha256: e.sha256, split: 'train' as const, fold: foldOf.get(e.path) ?? null })),
    ...read('test.csv').map((e) => ({ path: e.path, className: e.className, sha256: e.sha256, split: 'test' as const, fold: null })),
  ];
  const { created } = await ctx.stores.dataVersions.record({
    version: split.datasetVersion,
    manifestHash: split.manifestHash,
    // The same rule as the version's name (split/run.ts).
    name: data.name ?? path.basename(split.root),
    sourceRoot: split.root,
    layout: split.layout,
    subset: { ...data.subset },
    classes: split.classes,
    folds: split.folds,
    images,
    excluded: split.excluded,
  });
  if (!created && opts.quietIfKnown) return;
  ctx.log.info(`${created ? 'recorded' : 'already recorded'} dataset version ${split.datasetVersion} (${images.length} images): pipeline data show ${split.datasetVersion}`);
}
