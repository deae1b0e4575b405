import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadBackbone, type Backbone } from '../../../ml/onnx/backbone.ts';
import { dequantizedConv, dequantizeTensor } from '../../../ml/onnx/dequantize.ts';
import { DataType, decodeModel, initializer, onnx, tensorValues } from '../../../ml/onnx/proto.ts';
import { DEFAULT_PREPROCESS, preprocess } from '../../../ml/preprocess/index.ts';
import { floatFeatureMap, writeFloatBackbone } from '../../helpers/float-backbone.ts';
import { backboneFeatureNode, backbonePath, backboneSha256 } from '../../helpers/paths.ts';
import { argmax, photos } from './fixtures.ts';

describe('dequantizeTensor', () => {
  it('applies one scale and zero point per slice of the axis', () => {
    const q = onnx.TensorProto.create({ name: 'w', dims: [2, 3], dataType: DataType.INT8, int32Data: [1, 2, 3, -1, -2, -3] });
    const s = onnx.TensorProto.create({ name: 's', dims: [2], dataType: DataType.FLOAT, floatData: [0.5, 2] });
    const zp = onnx.TensorProto.create({ name: 'z', dims: [2], dataType: DataType.INT8, int32Data: [1, -1] });
    assert.deepEqual([...dequantizeTensor(q, s, zp, 0).data], [0, 0.5, 1, 0, -2, -4]);
    const s3 = onnx.TensorProto.create({ name: 's3', dims: [3], dataType: DataType.FLOAT, floatData: [1, 10, 100] });
    assert.deepEqual([...dequantizeTensor(q, s3, undefined, 1).data], [1, 20, 300, -1, -20, -300]);
    assert.throws(() => dequantizeTensor(q, s3, undefined, 0), /3 scales for axis 0 of dims \[2,3\]/);
  });
});

describe('dequantizedConv', () => {
  it("gives the last 1x1 convolution's float weight [1280, 320, 1, 1] and bias", () => {
    const m = decodeModel(fs.readFileSync(backbonePath));
    const { weight, bias } = dequantizedConv(m, '627_quantized');
    assert.deepEqual(weight.dims, [1280, 320, 1, 1]);
    const q = tensorValues(initializer(m, dequantizedConv(m, '627_quantized').node.input![3]!));
    const ws = tensorValues(initializer(m, dequantizedConv(m, '627_quantized').node.input![4]!));
    // Channel 7, input 5: (q - 0) * scale[7] (symmetric int8 weights).
    assert.ok(Math.abs(weight.data[7 * 320 + 5]! - q[7 * 320 + 5]! * ws[7]!) < 1e-7);
    assert.equal(bias.length, 1280);
    assert.ok(bias.some((b) => b !== 0) && bias.every(Number.isFinite));
    assert.throws(() => dequantizedConv(m, '464_quantized'), /made by a QLinearGlobalAveragePool; expected a QLinearConv output/);
  });
});

describe('dequantizeModel (a float MobileNetV2 from the int8 one)', () => {
  let int8: Backbone;
  let pooled: Backbone;
  let flat: Backbone;
  let file: { path: string; sha256: string };
  let dir = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f101-float-'));
    file = writeFloatBackbone(dir);
    int8 = await loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
    pooled = await loadBackbone({ path: file.path, sha256: file.sha256, featureNode: floatFeatureMap, threads: 2 });
    flat = await loadBackbone({ path: file.path, sha256: file.sha256, featureNode: { tensor: '472_quantized' }, threads: 2 });
  });
  after(async () => {
    await Promise.all([int8, pooled, flat].map((b) => b?.dispose()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has no quantized op left', () => {
    const ops = new Set(decodeModel(fs.readFileSync(file.path)).graph!.node!.map((n) => n.opType));
    assert.deepEqual([...ops].filter((o) => /QLinear|Quantize|Dequantize/.test(o ?? '')), []);
    assert.ok(ops.has('Conv') && ops.has('Clip') && ops.has('GlobalAveragePool'));
  });

  it('classifies like the int8 model, with features that are close but not the same', async () => {
    const files = photos(1).slice(0, 6);
    const per = 3 * 224 * 224;
    const batch = new Float32Array(files.length * per);
    for (const [i, f] of files.entries()) batch.set(await preprocess(f, DEFAULT_PREPROCESS), i * per);
    const [a, b, c] = [await int8.features(batch, 6), await pooled.features(batch, 6), await flat.features(batch, 6)];
    assert.equal(pooled.dim, 1280);
    assert.ok(b.every(Number.isFinite));
    // The pooled NCHW map and the float [N, 1280] tensor after the model's own pooling are the same features.
    assert.ok(b.every((v, i) => Math.abs(v - c[i]!) < 1e-5));
    let dot = 0, na = 0, nb = 0, maxDiff = 0;
    for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! ** 2), (nb += b[i]! ** 2), (maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!)));
    assert.ok(dot / Math.sqrt(na * nb) > 0.98, `cosine ${dot / Math.sqrt(na * nb)}`);
    assert.ok(maxDiff > 1e-3, 'without the int8 rounding the features differ');
    const [la, lb] = [await int8.logits(batch, 6), await pooled.logits(batch, 6)];
    let agree = 0;
    for (let r = 0; r < 6; r++) agree += Number(argmax(la, r * 1000, 1000) === argmax(lb, r * 1000, 1000));
    assert.ok(agree >= 5, `top-1 agreement ${agree}/6`);
    assert.notEqual(pooled.featureId, flat.featureId, 'another feature node is another feature space');
  });
});
