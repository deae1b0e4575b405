/**
 * False-alarm rate of the monitor on in-distribution windows, with a real trained model and the served graph.
 * Not a test (a rate over many windows, stated in README.md "Monitoring and retraining" and BENCHMARKS.md).
 *
 *   node --import tsx scripts/monitor-false-alarms.ts --model <exported model dir> --split <data/processed/<version>> [--splits 40]
 *
 * The test photos (and a training sample, where the space is fitted, as at register time) are observed once
 * through the model (server decode, `features` output). Then, `--splits` times, the test photos are split at
 * random into a reference half and a window half; a profile is built on the reference half and the window
 * (embeddings rounded as the log keeps them) is evaluated with the default thresholds. Prints, per detector,
 * how many windows drifted, and how many windows had any detector drift. The halves share photos across
 * splits, so the windows are not independent: a rate, not a precise probability.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fitEmbeddingSpace } from '../ml/monitoring/embedding-space.ts';
import { DETECTORS, evaluateWindow, type DetectorName } from '../ml/monitoring/evaluate.ts';
import { project } from '../ml/monitoring/pca.ts';
import { buildReferenceProfile } from '../ml/monitoring/profile.ts';
import { mulberry32, shuffled } from '../ml/random.ts';
import { openObservingModel } from '../monitor/observe-images.ts';
import { parseCsv } from '../steps/split/manifest.ts';

const { values: args } = parseArgs({ options: { model: { type: 'string' }, split: { type: 'string' }, root: { type: 'string' }, splits: { type: 'string', default: '40' }, 'max-train': { type: 'string', default: '400' } } });
if (!args.model || !args.split) throw new Error('usage: --model <exported model dir> --split <data/processed/<version>> [--root <data root, default ../shared/data/food101-mini>] [--splits 40]');
// Manifest paths are relative to the data root (the pipeline's data.root).
const root = path.resolve(args.root ?? process.env.FOOD101_DIR ?? '../shared/data/food101-mini');
const read = (which: string) => parseCsv(fs.readFileSync(path.join(args.split!, `${which}.csv`), 'utf8')).map((e) => ({ file: path.join(root, e.path), label: e.className }));
const test = read('test');
const train = shuffled(read('train'), mulberry32(0x51ed)).slice(0, Number(args['max-train']));
const model = await openObservingModel(args.model);
const t0 = performance.now();
const fit = await model.observe(train.map((x) => x.file));
const obs = await model.observe(test.map((x) => x.file));
await model.release();
console.log(`observed ${fit.length} training + ${obs.length} test photos in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const space = fitEmbeddingSpace(fit.map((o, i) => ({ embedding: o.features, label: train[i]!.label })), { dim: 32 });
const counts = Object.fromEntries(DETECTORS.map((d) => [d, 0])) as Record<DetectorName, number>;
let any = 0;
const n = Number(args.splits);
for (let s = 0; s < n; s++) {
  const order = shuffled([...obs.keys()], mulberry32(1000 + s));
  const half = order.length >> 1;
  const ref = order.slice(0, half), win = order.slice(half);
  const profile = buildReferenceProfile(ref.map((i) => ({ stats: obs[i]!.stats, embedding: obs[i]!.features, predictedClass: obs[i]!.predictedClass, confidence: obs[i]!.confidence, label: test[i]!.label })), { space });
  const window = win.map((i) => ({ stats: obs[i]!.stats, embedding: Array.from(project(profile.projection, obs[i]!.features), (v) => Math.round(v * 1e4) / 1e4), predictedClass: obs[i]!.predictedClass, confidence: obs[i]!.confidence }));
  const e = evaluateWindow(profile, window, { embeddingDrift: { seed: s + 1 } });
  let drifted = false;
  for (const d of DETECTORS) if (e.detectors[d].verdict === 'drift') (counts[d] += 1), (drifted = true);
  if (drifted) any++;
}
console.log(`${n} in-distribution windows of ${obs.length - (obs.length >> 1)} (reference ${obs.length >> 1}), default thresholds:`);
for (const d of DETECTORS) console.log(`  ${d.padEnd(20)} ${counts[d]}/${n}`);
console.log(`  any detector         ${any}/${n} (${((any / n) * 100).toFixed(1)}%)`);
