/** The `split` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import path from 'node:path';
import { mulberry32, seedFrom, shuffled } from '../../ml/random.ts';
import { didYouMean } from '../../runner/config/suggest.ts';
import type { StepContext } from '../../runner/context.ts';
import { DataError } from '../../runner/errors.ts';
import { mapLimit } from '../../runner/map-limit.ts';
import { dataSection, type DataSection } from '../sections/data.ts';
import { imageProblem } from './check-images.ts';
import { checkClassCounts } from './class-counts.ts';
import type { SplitParams } from './index.ts';
import { buildManifests, writeManifests, type ManifestEntry } from './manifest.ts';
import { drawTestSplit, readDataset, type ImageRef } from './read-dataset.ts';
import type { SplitResult } from './split-result.ts';
import { stratifiedFolds } from './stratified-kfold.ts';

function applySubset(classes: readonly string[], subset: DataSection['subset']): string[] {
  if (subset.classes === 'all') return [...classes];
  if (typeof subset.classes === 'number') {
    if (subset.classes > classes.length) throw new DataError(`data.subset.classes: ${subset.classes} classes asked, the data set has ${classes.length}`);
    return classes.slice(0, subset.classes);
  }
  for (const c of subset.classes) {
    if (!classes.includes(c)) throw new DataError(`data.subset.classes: no class '${c}' in the data set${didYouMean(c, classes)}`);
  }
  return classes.filter((c) => (subset.classes as string[]).includes(c));
}

function sample(refs: readonly ImageRef[], keep: ReadonlySet<string>, fraction: number, seed: number, part: string): ImageRef[] {
  const out: ImageRef[] = [];
  for (const c of keep) {
    const mine = refs.filter((r) => r.className === c);
    const n = fraction >= 1 ? mine.length : Math.max(1, Math.round(mine.length * fraction));
    out.push(...shuffled(mine, mulberry32(seedFrom('subset', seed, part, c))).slice(0, n));
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export async function runSplit(ctx: StepContext, params: SplitParams) {
  const data = ctx.section(dataSection);
  const root = ctx.resolvePath(data.root);
  const listing = readDataset(root, data.layout);
  for (const m of listing.missing) ctx.log.warn(`listed in meta but missing on disk, excluded: ${m.path}`);
  const classes = applySubset(listing.classes, data.subset);
  const keep = new Set(classes);
  const train = sample(listing.train, keep, data.subset.fraction, data.subset.seed, 'train');
  const test = sample(listing.test, keep, data.subset.fraction, data.subset.seed, 'test');

  const all = [...train, ...test];
  const progress = ctx.progress('check+hash', all.length, 'images');
  const files = all.map((r) => path.join(root, r.path));
  const problems = await mapLimit(files, 8, async (f) => {
    const p = await imageProblem(f);
    progress.tick();
    return p;
  });
  progress.done();
  const excluded = all.flatMap((r, i) => (problems[i] ? [{ path: r.path, reason: problems[i]! }] : []));
  for (const e of excluded) ctx.log.warn(`excluded ${path.join(root, e.path)}: ${e.reason}`);
  const okIdx = all.map((_, i) => i).filter((i) => !problems[i]);
  const hashes = await ctx.stores.fileHashes.sha256Many(okIdx.map((i) => files[i]));
  const sha = new Map(okIdx.map((i, j) => [all[i].path, hashes[j]]));
  const entries = (refs: ImageRef[]): ManifestEntry[] =>
    refs.filter((r) => sha.has(r.path)).map((r) => ({ path: r.path, className: r.className, sha256: sha.get(r.path)! }));
  const drawn = listing.pooled ? drawTestSplit(entries(train), data.test_fraction, data.subset.seed) : undefined;
  const trainEntries = drawn?.train ?? entries(train);
  const testEntries = drawn?.test ?? entries(test);
  const perClass = Object.fromEntries(
    classes.map((c) => [c, { train: trainEntries.filter((e) => e.className === c).length, test: testEntries.filter((e) => e.className === c).length }]),
  );
  checkClassCounts(perClass, params.folds, { stage: ctx.stage, root, pooled: listing.pooled }, ctx.log);

  const folds = stratifiedFolds(trainEntries, params.folds, params.seed);
  const manifests = buildManifests(classes, trainEntries, testEntries, folds, params.folds);
  const name = data.name ?? path.basename(root);
  const total = trainEntries.length + testEntries.length;
  const pct = (n: number) => Math.round((100 * n) / Math.max(1, total));
  const datasetVersion = `${name}_${classes.length}c_tr${pct(trainEntries.length)}_te${pct(testEntries.length)}_${manifests.hash.slice(0, 8)}`;
  const dir = path.join(ctx.paths.processed, datasetVersion);
  const labels = classes.map((c) => listing.labels[listing.classes.indexOf(c)]);
  const result: SplitResult = {
    datasetVersion,
    experiment: datasetVersion,
    dir,
    root,
    layout: listing.layout,
    classes,
    labels,
    folds: params.folds,
    counts: { train: trainEntries.length, test: testEntries.length, perClass },
    excluded: [...excluded, ...listing.missing.map((m) => ({ path: m.path, reason: 'listed in meta but missing on disk' }))],
    manifestHash: manifests.hash,
  };
  // Content: the result without where things happen to be on this machine (a moved checkout keeps its cache).
  const content = { ...result, dir: undefined, root: undefined };
  await writeManifests(dir, manifests, content);
  ctx.log.info(
    `${datasetVersion}: ${classes.length} classes, ${trainEntries.length} train / ${testEntries.length} test, ${params.folds} folds, ${result.excluded.length} excluded`,
  );
  return { result, content, outputs: [dir] };
}
