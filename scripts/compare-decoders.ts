/**
 * One trained model, the test split decoded two ways: preprocessing version 2 (libvips for every photo) and the
 * current decoder (libjpeg-turbo for upright sRGB JPEGs). Separates what a decoder change does to a fixed model
 * from what retraining on the new features does (BENCHMARKS.md, "JPEG decoding"). Not a test.
 *
 *   node --import tsx scripts/compare-decoders.ts --model outputs/model/model.onnx
 *        [--split data/processed/<version>] [--data ../shared/data/food101-mini]
 *
 * The model directory must hold labels.json and preprocessing.json (an export). Prints one JSON line: accuracy
 * with each decoder, predictions that differ, and the mean and largest absolute logit difference.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { configureSharp, decodeForViews, decodeWithLibvips, resolvePreprocessSpec, toTensor } from '../ml/preprocess/index.ts';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'outputs/model/model.onnx' },
    split: { type: 'string' },
    data: { type: 'string', default: process.env.FOOD101_DIR ?? '../shared/data/food101-mini' },
  },
});
const modelDir = path.dirname(path.resolve(args.model!));
const labels: string[] = JSON.parse(fs.readFileSync(path.join(modelDir, 'labels.json'), 'utf8'));
const spec = resolvePreprocessSpec(JSON.parse(fs.readFileSync(path.join(modelDir, 'preprocessing.json'), 'utf8')));
const splitDir = args.split ?? path.join('data/processed', fs.readdirSync('data/processed').sort().at(-1)!);
const rows = fs.readFileSync(path.join(splitDir, 'test.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
configureSharp();
const session = await ort.InferenceSession.create(path.resolve(args.model!));
const [input] = session.inputNames;
const [output] = session.outputNames;

async function logits(raw: Awaited<ReturnType<typeof decodeForViews>>): Promise<Float32Array> {
  const out = await session.run({ [input!]: new ort.Tensor('float32', toTensor(raw, spec), [1, 3, spec.crop, spec.crop]) });
  return out[output!]!.data as Float32Array;
}
const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best]! ? i : best), 0);

let right2 = 0, right3 = 0, differ = 0, sum = 0, max = 0;
for (const [file, cls] of rows) {
  const bytes = fs.readFileSync(path.join(args.data!, file!));
  const a = await logits(await decodeWithLibvips(bytes, spec));
  const b = await logits(await decodeForViews(bytes, spec));
  if (labels[argmax(a)] === cls) right2++;
  if (labels[argmax(b)] === cls) right3++;
  if (argmax(a) !== argmax(b)) differ++;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
}
const n = rows.length;
console.log(JSON.stringify({ model: args.model, photos: n, accuracyLibvips: right2 / n, accuracyCurrent: right3 / n, predictionsDiffer: differ, meanAbsLogitDiff: sum / (n * labels.length), maxAbsLogitDiff: max }));
