/** The `features` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import fs from 'node:fs';
import path from 'node:path';
import { extractFeatures, featureSpace } from '../../ml/features/extract.ts';
import { loadBackbone } from '../../ml/onnx/backbone.ts';
import { assertZoom, resolvePreprocessSpec, resolveViewsSpec, viewNames } from '../../ml/preprocess/index.ts';
import type { StepContext } from '../../runner/context.ts';
import { backboneSection, featureNodesOf } from '../sections/backbone.ts';
import { parseCsv } from '../split/manifest.ts';
import type { SplitResult } from '../split/split-result.ts';
import { ensureBackboneFile } from './backbone-file.ts';
import type { FeaturesResult } from './features-result.ts';
import type { FeaturesParams } from './index.ts';

export async function runFeatures(ctx: StepContext, params: FeaturesParams) {
  const bb = ctx.section(backboneSection);
  const split = ctx.input<SplitResult>('split');
  const spec = resolvePreprocessSpec(bb.preprocessing);
  const views = resolveViewsSpec(params.views);
  const evalViews = { flip: params.tta.flip, crops: 0, zoom: [...new Set(params.tta.zoom)] };
  for (const z of evalViews.zoom) assertZoom(z, spec.crop);
  const file = ctx.resolvePath(bb.path);
  await ensureBackboneFile(file, bb.sha256, bb.url, ctx.log);
  const backbone = await loadBackbone({
    path: file,
    sha256: bb.sha256,
    input: bb.input,
    featureNode: featureNodesOf(bb),
    threads: bb.threads,
  });
  try {
    const read = (name: string, train: boolean) =>
      parseCsv(fs.readFileSync(path.join(split.dir, name), 'utf8')).map((e) => ({ path: path.join(split.root, e.path), sha256: e.sha256, train }));
    const images = [...read('train.csv', true), ...read('test.csv', false)];
    const space = featureSpace(backbone.featureId, spec);
    let bar: ReturnType<typeof ctx.progress> | undefined;
    let last = 0;
    const out = await extractFeatures({
      images,
      spec,
      views,
      evalViews,
      backbone,
      store: ctx.stores.features,
      batchSize: params.batch_size,
      decodeConcurrency: params.decode_concurrency,
      signal: ctx.signal,
      onProgress: (done, total) => {
        bar ??= ctx.progress('features', total, 'vectors');
        bar.tick(done - last);
        last = done;
      },
    });
    bar?.done();
    const result: FeaturesResult = {
      space,
      dim: backbone.dim,
      views: viewNames(views),
      tta: viewNames(evalViews),
      preprocessing: spec,
      computed: out.computed,
      reused: out.reused,
      failed: out.failed,
    };
    for (const f of out.failed) ctx.log.warn(`excluded ${f.path}: ${f.reason}`);
    const rate = out.decoded > 0 ? `, ${(out.decoded / out.seconds).toFixed(0)} images/s` : '';
    ctx.log.info(`${out.computed} vectors computed, ${out.reused} reused from the store (${out.seconds.toFixed(1)}s${rate})`);
    // The vectors live in the store (SQLite or PostgreSQL), not in files the engine could check.
    // Content: the feature space and views (the vectors are keyed by them and the images' sha256), not the
    // computed/reused counts, which differ between a first run and a forced one.
    const content = { space, dim: result.dim, views: result.views, tta: result.tta, preprocessing: spec, failed: out.failed.map((f) => ({ sha256: f.sha256, reason: f.reason })) };
    return { result, content, outputs: [] };
  } finally {
    await backbone.dispose();
  }
}
