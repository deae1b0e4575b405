/** The `export` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import fs from 'node:fs';
import path from 'node:path';
import { selectBackend } from '../../ml/backends/select-backend.ts';
import { foldTemperature } from '../../ml/calibration/fold-temperature.ts';
import { getFamily } from '../../ml/families/index.ts';
import { openTap } from '../../ml/features/tap.ts';
import { loadBackbone, readVerified } from '../../ml/onnx/backbone.ts';
import { preprocessingId, resolvePreprocessSpec } from '../../ml/preprocess/index.ts';
import { loadTrained } from '../../ml/training/model-io.ts';
import type { StepContext } from '../../runner/context.ts';
import { writeDirAtomic } from '../../runner/fs-atomic.ts';
import { sha256 } from '../../runner/hash.ts';
import type { AggregateResult } from '../aggregate/aggregate-result.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import { backboneSection, featureNodesOf } from '../sections/backbone.ts';
import { parseCsv } from '../split/manifest.ts';
import type { SplitResult } from '../split/split-result.ts';
import { pixelSpec } from '../train/pixel-spec.ts';
import type { ExportResult } from './export-result.ts';
import type { ExportParams } from './index.ts';
import { modelMetadata } from './model-metadata.ts';
import { parityCheck } from './parity.ts';

export async function runExport(ctx: StepContext, params: ExportParams) {
  const split = ctx.input<SplitResult>('split');
  const agg = ctx.input<AggregateResult>('aggregate');
  const testTimeViews = ctx.input<FeaturesResult>('features').tta;
  const bb = ctx.section(backboneSection);
  const entry = agg.winner.entry;
  const family = getFamily(entry.family);
  const backboneSpec = resolvePreprocessSpec(bb.preprocessing);
  const spec = family.input === 'features' ? backboneSpec : pixelSpec(backboneSpec, Number(entry.input));
  const featureNode = featureNodesOf(bb);
  const backboneFile = ctx.resolvePath(bb.path);
  const preprocessing = { ...spec, id: preprocessingId(spec) };
  const metadata = modelMetadata({
    classes: split.classes,
    preprocessing,
    datasetVersion: split.datasetVersion,
    architecture: agg.winner.architecture,
    family: entry.family,
    testTimeFlip: false,
    testTimeViews: family.input === 'features' ? testTimeViews : ['center'],
    temperature: agg.winner.temperature,
  });
  const { tf } = await selectBackend('auto', { convTraining: false });
  const { model } = await loadTrained(agg.winner.modelDir, tf);
  // The calibration temperature goes into the weights: the graph's logits are logits / T, so `prob` = softmax of
  // them is calibrated, and the parity check below compares the scaled model with its export.
  foldTemperature(tf, model, agg.winner.temperature);
  // The tfjs side of the parity check reads what the model was trained on: a tap family's tapped tensor, else the pooled features.
  const tapped = family.tap?.(entry as never);
  const backbone =
    family.input !== 'features' ? undefined
    : tapped ? await openTap(await readVerified(backboneFile, bb.sha256), { sha256: bb.sha256, input: bb.input, from: tapped, threads: bb.threads }).then((t) => ({ features: t.floatFeatures, dispose: t.dispose }))
    : await loadBackbone({ path: backboneFile, sha256: bb.sha256, input: bb.input, featureNode, threads: bb.threads });
  try {
    const env =
      family.input === 'features'
        ? { backbone: { bytes: await readVerified(backboneFile, bb.sha256), input: bb.input, featureNode }, metadata, testTimeViews }
        : { metadata };
    const onnx = family.toOnnx(model, env, entry as never);
    const images = parseCsv(fs.readFileSync(path.join(split.dir, 'test.csv'), 'utf8'))
      .slice(0, params.parity_images)
      .map((e) => path.join(split.root, e.path));
    const parity = await parityCheck({ tf, model, onnx, images, spec, backbone, testTimeViews: backbone ? testTimeViews : ['center'] });
    if (!(parity.maxAbsDiff <= params.parity_tolerance)) {
      throw new Error(`parity check failed: max |onnx - tfjs| logit difference ${parity.maxAbsDiff.toExponential(3)} over ${parity.n} test images exceeds ${params.parity_tolerance}; the export is not written`);
    }
    ctx.log.info(`parity: max |onnx - tfjs| = ${parity.maxAbsDiff.toExponential(2)} over ${parity.n} test images (tolerance ${params.parity_tolerance})`);
    const dir = path.join(ctx.paths.outputs, 'model');
    await writeDirAtomic(dir, (tmp) => {
      fs.writeFileSync(path.join(tmp, 'model.onnx'), onnx);
      fs.writeFileSync(path.join(tmp, 'labels.json'), `${JSON.stringify(split.classes, null, 2)}\n`);
      fs.writeFileSync(path.join(tmp, 'preprocessing.json'), `${JSON.stringify(preprocessing, null, 2)}\n`);
    });
    const result: ExportResult = {
      dir,
      modelFile: path.join(dir, 'model.onnx'),
      sha256: sha256(onnx),
      inputName: 'images',
      outputName: 'logits',
      numClasses: split.classes.length,
      parity: { ...parity, tolerance: params.parity_tolerance },
    };
    ctx.log.info(`wrote ${path.relative(ctx.paths.workdir, result.modelFile)} (${(onnx.length / 1e6).toFixed(1)} MB, sha256 ${result.sha256.slice(0, 12)})`);
    // Content: the model's bytes (labels and preprocessing are in its metadata); not where it was written.
    const content = { sha256: result.sha256, inputName: result.inputName, outputName: result.outputName, numClasses: result.numClasses };
    return { result, content, outputs: [dir] };
  } finally {
    model.dispose();
    await backbone?.dispose();
  }
}
