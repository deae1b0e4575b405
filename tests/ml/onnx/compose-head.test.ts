import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadBackbone, type Backbone } from '../../../ml/onnx/backbone.ts';
import { composeHeadModel } from '../../../ml/onnx/compose-head.ts';
import { decodeModel, getMetadata, type IValueInfoProto } from '../../../ml/onnx/proto.ts';
import { createSession, runLogits } from '../../../ml/onnx/session.ts';
import { DEFAULT_PREPROCESS, preprocess, viewsOfBatch } from '../../../ml/preprocess/index.ts';
import { backboneFeatureNode, backbonePath, backboneSha256 } from '../../helpers/paths.ts';
import { argmax, denseForward, originalClassifier, photos, randomLayer } from './fixtures.ts';

const ITEM = 3 * 224 * 224;
const bytes = fs.readFileSync(backbonePath);
const compose = (layers: Parameters<typeof composeHeadModel>[1]['layers'], metadata?: Record<string, string>) =>
  composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, metadata });

async function batchOf(files: readonly string[]): Promise<Float32Array> {
  const batch = new Float32Array(files.length * ITEM);
  for (const [i, f] of files.entries()) batch.set(await preprocess(f, DEFAULT_PREPROCESS), i * ITEM);
  return batch;
}

describe('composeHeadModel', () => {
  let backbone: Backbone;
  before(async () => {
    backbone = await loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
  });
  after(() => backbone?.dispose());

  it('with the original classifier as head, agrees with the original model on >= 20 real photos', async () => {
    const session = await createSession(compose([originalClassifier(bytes)]), { intraOpNumThreads: 2 });
    const files = photos(2); // 26 photos, 2 per class
    assert.ok(files.length >= 20);
    const batch = await batchOf(files);
    const ours = (await runLogits(session, 'images', batch, files.length, [3, 224, 224])).data;
    const original = await backbone.logits(batch, files.length);
    for (const [i, f] of files.entries()) {
      assert.equal(argmax(ours, i * 1000, 1000), argmax(original, i * 1000, 1000), f);
      if (f.includes(`${path.sep}pizza${path.sep}`)) assert.equal(argmax(ours, i * 1000, 1000), 963, `${f} is not ImageNet pizza`);
    }
    await session.release();
  });

  it('has input images [N,3,224,224], output logits [N,C], no original classifier, and the metadata', () => {
    const model = decodeModel(compose([randomLayer(1280, 13, 'linear', 1)], { labels: '["a","b"]', preprocessing_id: 'abc' }));
    const g = model.graph!;
    const dims = (v: IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepEqual(g.input!.map((i) => i.name), ['images']);
    assert.deepEqual(dims(g.input![0]!), ['N', 3, 224, 224]);
    assert.deepEqual(g.output!.map((o) => o.name), ['logits']);
    assert.deepEqual(dims(g.output![0]!), ['N', 13]);
    assert.ok(!g.node!.some((n) => n.opType === 'QLinearMatMul' || (n.output ?? []).includes('output')), 'the 1000-class classifier is still there');
    assert.ok(!g.initializer!.some((t) => (t.name ?? '').startsWith('classifier.')), 'classifier weights are still there');
    assert.ok(model.opsetImport!.some((o) => (o.domain ?? '') === '' && Number(o.version) >= 10));
    assert.deepEqual(getMetadata(model), { labels: '["a","b"]', preprocessing_id: 'abc' });
  });

  it('runs with a dynamic batch and matches features -> JS head within 1e-4', async () => {
    const layers = [randomLayer(1280, 64, 'relu', 7), randomLayer(64, 32, 'tanh', 8, 0.2), randomLayer(32, 13, 'linear', 9, 0.3)];
    const session = await createSession(compose(layers), { intraOpNumThreads: 2 });
    assert.deepEqual(session.inputNames, ['images']);
    assert.deepEqual(session.outputNames, ['logits']);
    const files = photos(1).slice(3, 6);
    const batch = await batchOf(files);
    for (const n of [1, 3]) {
      const { data, cols } = await runLogits(session, 'images', batch, n, [3, 224, 224]);
      assert.equal(cols, 13);
      assert.equal(data.length, n * 13);
      const want = denseForward(layers, await backbone.features(batch, n), n);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(data[i]! - want[i]!) < 1e-4, `logit ${i}: ${data[i]} vs ${want[i]}`);
    }
    await session.release();
  });

  it('supports every activation', async () => {
    for (const act of ['sigmoid', 'elu'] as const) {
      const layers = [randomLayer(1280, 8, act, 3), randomLayer(8, 4, act, 4, 0.5)];
      const session = await createSession(compose(layers));
      const batch = await batchOf(photos(1).slice(0, 1));
      const { data } = await runLogits(session, 'images', batch, 1, [3, 224, 224]);
      const want = denseForward(layers, await backbone.features(batch, 1), 1);
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(data[i]! - want[i]!) < 1e-4, `${act} logit ${i}`);
      await session.release();
    }
  });

  it('with testTimeFlip, equals the head on the mean of the features of the image and its mirror', async () => {
    const layers = [randomLayer(1280, 16, 'relu', 11), randomLayer(16, 5, 'linear', 12, 0.3)];
    const model = composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, testTimeFlip: true });
    const session = await createSession(model, { intraOpNumThreads: 2 });
    const files = photos(1).slice(0, 2);
    const batch = await batchOf(files);
    const mirrored = new Float32Array(batch.length);
    for (let i = 0; i < batch.length; i += 224) for (let x = 0; x < 224; x++) mirrored[i + x] = batch[i + 223 - x]!;
    const a = await backbone.features(batch, 2);
    const b = await backbone.features(mirrored, 2);
    const mean = a.map((v, i) => (v + b[i]!) / 2);
    const want = denseForward(layers, mean, 2);
    const { data } = await runLogits(session, 'images', batch, 2, [3, 224, 224]);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(data[i]! - want[i]!) < 1e-4, `logit ${i}: ${data[i]} vs ${want[i]}`);
    const plain = denseForward(layers, a, 2);
    assert.ok(plain.some((v, i) => Math.abs(v - want[i]!) > 1e-3), 'the flipped branch changes the result');
    await session.release();
  });

  it('with testTimeViews, equals the head on the mean of the views computed separately (flip, zoom, zoomed mirror)', async () => {
    const layers = [randomLayer(1280, 16, 'relu', 31), randomLayer(16, 5, 'linear', 32, 0.3)];
    const views = ['center', 'flip', 'zoom192', 'zoom192_flip'];
    const model = composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, testTimeViews: views, featuresOutput: 'features' });
    const session = await createSession(model, { intraOpNumThreads: 2 });
    const batch = await batchOf(photos(1).slice(0, 2));
    const mean = new Float32Array(2 * 1280);
    const each: Float32Array[] = [];
    for (const v of views) {
      const f = await backbone.features(viewsOfBatch(batch, 2, 224, v), 2);
      each.push(f);
      for (let i = 0; i < mean.length; i++) mean[i] += f[i]! / views.length;
    }
    const { data: feats } = await runLogits(session, 'images', batch, 2, [3, 224, 224], 'features');
    const worst = feats.reduce((m, v, i) => Math.max(m, Math.abs(v - mean[i]!)), 0);
    assert.ok(worst < 2e-3, `features: max |graph - mean of views| = ${worst}`);
    const want = denseForward(layers, mean, 2);
    const { data } = await runLogits(session, 'images', batch, 2, [3, 224, 224], 'logits');
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(data[i]! - want[i]!) < 1e-3, `logit ${i}: ${data[i]} vs ${want[i]}`);
    // Every view matters: the zoomed views are not the centre or its mirror.
    const differs = (a: Float32Array, b: Float32Array) => a.some((v, i) => Math.abs(v - b[i]!) > 1e-2);
    assert.ok(differs(each[2]!, each[0]!) && differs(each[3]!, each[1]!) && differs(each[2]!, each[3]!));
    await session.release();
    assert.throws(() => composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, testTimeViews: ['crop1'] }), /test-time view 'crop1' cannot be computed inside the exported graph/);
    assert.throws(() => composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, testTimeViews: ['zoom193'] }), /tta.zoom 193: .* with 224 - z even/);
  });

  it('with featuresOutput, a second output carries the head input (flip-averaged features); logits unchanged', async () => {
    const layers = [randomLayer(1280, 5, 'linear', 21, 0.3)];
    const model = composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, testTimeFlip: true, featuresOutput: 'features' });
    const session = await createSession(model, { intraOpNumThreads: 2 });
    assert.deepEqual(session.outputNames, ['logits', 'features']);
    const batch = await batchOf(photos(1).slice(0, 2));
    const mirrored = new Float32Array(batch.length);
    for (let i = 0; i < batch.length; i += 224) for (let x = 0; x < 224; x++) mirrored[i + x] = batch[i + 223 - x]!;
    const a = await backbone.features(batch, 2);
    const b = await backbone.features(mirrored, 2);
    const mean = a.map((v, i) => (v + b[i]!) / 2);
    const { data: feats, cols } = await runLogits(session, 'images', batch, 2, [3, 224, 224], 'features');
    assert.equal(cols, 1280);
    for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(feats[i]! - mean[i]!) < 1e-4, `feature ${i}: ${feats[i]} vs ${mean[i]}`);
    const { data: logits } = await runLogits(session, 'images', batch, 2, [3, 224, 224], 'logits');
    const want = denseForward(layers, mean, 2);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(logits[i]! - want[i]!) < 1e-4, `logit ${i}`);
    await session.release();
    assert.throws(() => composeHeadModel(bytes, { backboneInput: 'input', featureNode: backboneFeatureNode, layers, featuresOutput: 'logits' }), /featuresOutput 'logits' is the logits' name/);
  });

  it('rejects heads that do not fit', () => {
    assert.throws(() => compose([]), /the head has no layers/);
    assert.throws(() => compose([randomLayer(1000, 13, 'linear', 1)]), /layer 0: inDim 1000 does not match the backbone feature dim 1280/);
    assert.throws(() => compose([randomLayer(1280, 8, 'relu', 1), randomLayer(9, 2, 'linear', 2)]), /layer 1: inDim 9 does not match the previous layer outDim 8/);
    assert.throws(() => compose([{ ...randomLayer(1280, 4, 'linear', 1), bias: new Float32Array(3) }]), /layer 0: bias has 3 values, expected outDim = 4/);
    assert.throws(
      () => composeHeadModel(bytes, { backboneInput: 'data', featureNode: backboneFeatureNode, layers: [randomLayer(1280, 2, 'linear', 1)] }),
      /the backbone has no input 'data' \(inputs: input\)/,
    );
  });
});
