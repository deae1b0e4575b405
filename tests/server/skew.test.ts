/**
 * No train/serve skew: the server's bytes-to-tensor path is the training module's `preprocess()`, bit for bit,
 * and the probabilities `/predict` answers are the softmax of the model run on exactly that tensor.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { assertValidSpec, preprocess, type PreprocessSpec } from '../../ml/preprocess/index.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { serverTensor } from '../../server/predictor.ts';
import { TensorPool } from '../../server/tensor-pool.ts';
import { backbonePath, miniDataDir } from '../helpers/paths.ts';
import { backboneVersion, IMAGENET_SPEC, postFiles, startTestApp } from './fixtures.ts';

const spec: PreprocessSpec = IMAGENET_SPEC;
assertValidSpec(spec);
const classes = fs.readdirSync(path.join(miniDataDir, 'images')).sort();
const photos = classes.slice(0, 3).map((c) => {
  const dir = path.join(miniDataDir, 'images', c);
  return fs.readFileSync(path.join(dir, fs.readdirSync(dir).sort()[0]!));
});

async function variants(): Promise<[string, Buffer][]> {
  const p = photos[0]!;
  return [
    ...photos.map((b, i): [string, Buffer] => [`photo ${classes[i]}`, b]),
    ['EXIF-rotated', await sharp(p).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
    ['grayscale', await sharp(p).grayscale().jpeg().toBuffer()],
    ['RGBA PNG', await sharp(p).ensureAlpha(0.4).png().toBuffer()],
    ['CMYK JPEG', await sharp(p).toColourspace('cmyk').jpeg().toBuffer()],
    ['small WebP (upscaled)', await sharp(p).resize(100, 150).webp().toBuffer()],
  ];
}

test('the server tensor is identical to preprocess() for every kind of input', async () => {
  const pool = new TensorPool(3 * 224 * 224, 2);
  for (const [name, bytes] of await variants()) {
    const trained = await preprocess(bytes, spec);
    const slot = pool.acquire()!;
    // Both server paths: a fresh array, and normalised in place into a shared pool slot.
    for (const served of [(await serverTensor(bytes, spec)).tensor, (await serverTensor(bytes, spec, slot.view)).tensor]) {
      assert.equal(served.length, 3 * 224 * 224, name);
      assert.ok(Buffer.from(served.buffer, served.byteOffset, served.byteLength).equals(Buffer.from(trained.buffer, trained.byteOffset, trained.byteLength)), `${name}: tensors differ`);
    }
    slot.release();
  }
});

for (const inferenceThread of ['worker', 'main'] as const) test(`/predict probabilities = softmax(model(preprocess(image))), inference on the ${inferenceThread} thread`, async (t) => {
  const srv = await startTestApp(t, { source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }), inferenceThread });
  const session = await ort.InferenceSession.create(backbonePath, { intraOpNumThreads: 1 });
  t.after(() => session.release());
  for (const bytes of photos) {
    const x = await preprocess(bytes, spec);
    const logits = (await session.run({ input: new ort.Tensor('float32', x, [1, 3, 224, 224]) })).output!.data as Float32Array;
    const max = Math.max(...logits);
    const exps = Array.from(logits, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const expected = exps.map((e, id) => ({ id, prob: e / sum })).sort((a, b) => b.prob - a.prob).slice(0, 5);
    const res = await postFiles(`${srv.url}/predict`, [{ field: 'file', data: bytes, filename: 'x.jpg' }]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.predictions.map((p: { id: number }) => p.id), expected.map((e) => e.id));
    res.body.predictions.forEach((p: { prob: number }, i: number) => assert.ok(Math.abs(p.prob - expected[i]!.prob) < 1e-6, `${p.prob} vs ${expected[i]!.prob}`));
  }
});
