/**
 * What the backbone can give, measured by cross-validation: extracts the features of one variant (feature nodes,
 * preprocessing, test-time views) for a split into a feature store, writes them out for scripts/cv-probe.py (a
 * linear probe, sklearn, CV on the split's folds, test once), and times the exported graph per image for each set
 * of test-time views (the serving cost).
 *
 *   node --import tsx scripts/bench-feature-variants.ts --split data/processed/<version> --out /tmp/variants \
 *     --name base [--nodes 472_quantized:464_scale:464_zero_point,624_quantized:624_scale:624_zero_point] \
 *     [--resize 256] [--crop 224] [--zoom 192,168] [--store sqlite:/tmp/variants/features.db]
 *   /usr/bin/python3 scripts/cv-probe.py /tmp/variants/base
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures, featureSpace } from '../ml/features/extract.ts';
import { loadBackbone } from '../ml/onnx/backbone.ts';
import { composeHeadModel } from '../ml/onnx/compose-head.ts';
import { createSession, runLogits } from '../ml/onnx/session.ts';
import type { FeatureNode } from '../ml/onnx/types.ts';
import { resolvePreprocessSpec, viewNames } from '../ml/preprocess/index.ts';
import { parseCsv } from '../steps/split/manifest.ts';
import { openStores } from '../stores/index.ts';

const { values: args } = parseArgs({
  options: {
    split: { type: 'string' },
    out: { type: 'string', default: '/tmp/variants' },
    name: { type: 'string', default: 'base' },
    backbone: { type: 'string', default: '../shared/models/mobilenetv2-12-int8.onnx' },
    sha256: { type: 'string', default: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f' },
    nodes: { type: 'string', default: '472_quantized:464_scale:464_zero_point' },
    resize: { type: 'string', default: '256' },
    crop: { type: 'string', default: '224' },
    zoom: { type: 'string', default: '' },
    store: { type: 'string' },
    'time-runs': { type: 'string', default: '20' },
  },
});
if (!args.split) throw new Error('--split data/processed/<dataset version> is required (run `npx pipeline run pipelines/food101.yaml --until split`)');
const splitDir = path.resolve(args.split);
const out = path.join(path.resolve(args.out!), args.name!);
fs.mkdirSync(out, { recursive: true });
const nodes: FeatureNode[] = args.nodes!.split(',').map((s) => {
  const [tensor, scale, zeroPoint] = s.split(':');
  return { tensor: tensor!, scale, zeroPoint };
});
const spec = resolvePreprocessSpec({ resize: Number(args.resize), crop: Number(args.crop) });
const zoom = args.zoom ? args.zoom.split(',').map(Number) : [];
const trainViews = { flip: true, crops: 2 };
const evalViews = { flip: true, crops: 0, zoom };
const manifest = JSON.parse(fs.readFileSync(path.join(splitDir, 'manifest.json'), 'utf8')) as { root?: string };
const root = manifest.root ?? path.resolve('../shared/data/food101-mini');
const read = (name: string) => parseCsv(fs.readFileSync(path.join(splitDir, name), 'utf8'));
const train = read('train.csv');
const test = read('test.csv');

const backbone = await loadBackbone({ path: path.resolve(args.backbone!), sha256: args.sha256!, featureNode: nodes, threads: 2 });
const stores = await openStores({ url: args.store ?? `sqlite:${path.join(path.resolve(args.out!), 'features.db')}`, registryDir: path.join(out, 'registry') });
try {
  const images = [...train.map((e) => ({ path: path.join(root, e.path), sha256: e.sha256, train: true })), ...test.map((e) => ({ path: path.join(root, e.path), sha256: e.sha256, train: false }))];
  const r = await extractFeatures({ images, spec, views: trainViews, evalViews, backbone, store: stores.features, batchSize: 16, decodeConcurrency: 32 });
  console.log(`${args.name}: ${r.computed} vectors computed, ${r.reused} reused (${r.seconds.toFixed(0)} s), dim ${backbone.dim}`);
  const space = featureSpace(backbone.featureId, spec);
  const tViews = [...new Set([...viewNames(trainViews), ...viewNames(evalViews)])];
  const eViews = viewNames(evalViews);
  const dump = async (file: string, entries: typeof train, views: string[]) => {
    const { data } = await stores.features.load(space, entries.flatMap((e) => views.map((view) => ({ imageSha256: e.sha256, view }))));
    fs.writeFileSync(path.join(out, file), data);
  };
  await dump('train.f32', train, tViews);
  await dump('test.f32', test, eViews);
  const classes = fs.readFileSync(path.join(splitDir, 'classes.txt'), 'utf8').trim().split('\n');
  const folds = fs.readdirSync(path.join(splitDir, 'folds')).sort().map((f) => new Set(read(`folds/${f}/val.csv`).map((e) => e.sha256)));
  const meta = {
    name: args.name,
    dim: backbone.dim,
    nodes,
    preprocessing: spec,
    trainViews: tViews,
    augmentViews: viewNames(trainViews),
    evalViews: eViews,
    trainLabels: train.map((e) => classes.indexOf(e.className)),
    trainFold: train.map((e) => folds.findIndex((s) => s.has(e.sha256))),
    testLabels: test.map((e) => classes.indexOf(e.className)),
    servingMs: {} as Record<string, number>,
  };
  // Serving cost: the exported graph (backbone + a linear head) per image, batch 1, for each set of views.
  const bytes = fs.readFileSync(path.resolve(args.backbone!));
  const head = { inDim: backbone.dim, outDim: classes.length, kernel: new Float32Array(backbone.dim * classes.length), bias: new Float32Array(classes.length), activation: 'linear' as const };
  const sets = [['center'], ['center', 'flip'], ...zoom.map((z) => ['center', 'flip', `zoom${z}`, `zoom${z}_flip`]), ...(zoom.length > 1 ? [eViews] : [])];
  const x = new Float32Array(3 * spec.crop * spec.crop).fill(0.1);
  for (const views of sets) {
    const session = await createSession(composeHeadModel(bytes, { backboneInput: backbone.inputName, featureNode: nodes, layers: [head], testTimeViews: views }), { intraOpNumThreads: 1 });
    for (let i = 0; i < 3; i++) await runLogits(session, 'images', x, 1, [3, spec.crop, spec.crop]);
    const t0 = performance.now();
    for (let i = 0; i < Number(args['time-runs']); i++) await runLogits(session, 'images', x, 1, [3, spec.crop, spec.crop]);
    meta.servingMs[views.join('+')] = (performance.now() - t0) / Number(args['time-runs']);
    await session.release();
  }
  fs.writeFileSync(path.join(out, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
  console.log(`wrote ${out}; serving ms/image (1 thread): ${JSON.stringify(meta.servingMs)}`);
} finally {
  await stores.close();
  await backbone.dispose();
}
