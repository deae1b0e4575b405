import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openTap, type Tap } from '../../../ml/features/tap.ts';
import { loadBackbone, type Backbone } from '../../../ml/onnx/backbone.ts';
import { trainableTail, type TailConv } from '../../../ml/onnx/dequantize-tail.ts';
import { decodeModel } from '../../../ml/onnx/proto.ts';
import { DEFAULT_PREPROCESS, preprocess } from '../../../ml/preprocess/index.ts';
import { backboneFeatureNode, backbonePath, backboneSha256 } from '../../helpers/paths.ts';
import { photos } from './fixtures.ts';

const ITEM = 3 * 224 * 224;
const bytes = fs.readFileSync(backbonePath);

/** The float path in plain JS: the tail's pointwise convs at every position, then the mean over positions. */
function floatPooled(rows: Float32Array, n: number, positions: number, convs: readonly TailConv[]): Float32Array {
  const outDim = convs[convs.length - 1]!.outChannels;
  const pooled = new Float32Array(n * outDim);
  for (let r = 0; r < n; r++) {
    for (let p = 0; p < positions; p++) {
      let x = rows.subarray((r * positions + p) * convs[0]!.inChannels, (r * positions + p + 1) * convs[0]!.inChannels);
      for (const c of convs) {
        const y = Float32Array.from(c.bias);
        for (let i = 0; i < c.inChannels; i++) {
          const xi = x[i]!;
          if (xi !== 0) for (let o = 0; o < c.outChannels; o++) y[o]! += xi * c.kernel[i * c.outChannels + o]!;
        }
        if (c.activation !== 'linear') for (let o = 0; o < y.length; o++) y[o] = Math.min(c.activation === 'relu6' ? 6 : Infinity, Math.max(0, y[o]!));
        x = y;
      }
      for (let o = 0; o < outDim; o++) pooled[r * outDim + o]! += x[o]! / positions;
    }
  }
  return pooled;
}

describe('dequantized backbone tail', () => {
  let backbone: Backbone;
  let batch: Float32Array;
  const files = photos(1).slice(0, 6);
  before(async () => {
    backbone = await loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
    batch = new Float32Array(files.length * ITEM);
    for (const [i, f] of files.entries()) batch.set(await preprocess(f, DEFAULT_PREPROCESS), i * ITEM);
  });
  after(() => backbone?.dispose());

  it('reads the final 1x1 conv (320 -> 1280, ReLU6) per channel from 624_quantized', () => {
    const tail = trainableTail(decodeModel(bytes), '624_quantized');
    assert.equal(tail.convs.length, 1);
    assert.deepEqual([tail.convs[0]!.inChannels, tail.convs[0]!.outChannels, tail.convs[0]!.activation], [320, 1280, 'relu6']);
    assert.equal(tail.pooledDim, 1280);
    assert.equal(tail.from.zeroPoint, 123);
    const two = trainableTail(decodeModel(bytes), '621_quantized');
    assert.deepEqual(two.convs.map((c) => [c.inChannels, c.outChannels, c.activation]), [[960, 320, 'linear'], [320, 1280, 'relu6']]);
  });

  // Tolerance: the int8 graph rounds the conv output (scale 0.0235) and the pooled features (scale 0.0191) to
  // its grid, so each pooled value may differ from the float path by about half a step of each: 0.03 at most.
  // The int8 pool also saturates at 255 x 0.0191 = 4.87 (the float path does not): compared within that range.
  const pooledMax = 255 * 0.019110053777694702;
  for (const from of ['624_quantized', '621_quantized']) {
    it(`from ${from}: the float path reproduces the int8 model's pooled features within 0.03 (mean error < 0.005)`, async () => {
      const tap: Tap = await openTap(bytes, { sha256: backboneSha256, input: 'input', from, threads: 2 });
      try {
        const rows = await tap.floatFeatures(batch, files.length);
        assert.equal(rows.length, files.length * tap.positions * tap.channels);
        const ours = floatPooled(rows, files.length, tap.positions, tap.tail.convs);
        const int8 = await backbone.features(batch, files.length);
        let max = 0;
        let sum = 0;
        for (let i = 0; i < int8.length; i++) {
          const d = Math.abs(Math.min(ours[i]!, pooledMax) - int8[i]!);
          max = Math.max(max, d);
          sum += d;
        }
        assert.ok(max < 0.03, `max |float - int8| = ${max}`);
        assert.ok(sum / int8.length < 0.005, `mean |float - int8| = ${sum / int8.length}`);
      } finally {
        await tap.dispose();
      }
    });
  }

  it('names the tensor and what to pick when the tail is not a chain of pointwise convs', () => {
    const model = decodeModel(bytes);
    assert.throws(() => trainableTail(model, 'no_such_tensor'), /no tensor 'no_such_tensor'.*624_quantized/);
    // 594_quantized feeds Conv_77 (1x1) but 597 then feeds a residual add and a conv.
    assert.throws(() => trainableTail(model, '597_quantized'), /'597_quantized' feeds 2 nodes/);
    // 618_quantized feeds the depthwise 3x3 conv of the last block.
    assert.throws(() => trainableTail(model, '618_quantized'), /only pointwise \(1x1, stride 1, group 1\)/);
  });
});
