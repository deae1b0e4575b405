import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { selectBackend, type Tf } from '../../../ml/backends/select-backend.ts';
import { finetune } from '../../../ml/families/finetune.ts';
import { openTap, type Tap } from '../../../ml/features/tap.ts';
import type { TrainableTail } from '../../../ml/onnx/dequantize-tail.ts';
import { decodeModel } from '../../../ml/onnx/proto.ts';
import { mulberry32 } from '../../../ml/random.ts';
import { DEFAULT_PREPROCESS } from '../../../ml/preprocess/index.ts';
import { modelFromArtifacts } from '../../../ml/training/artifacts.ts';
import { trainRun } from '../../../ml/training/train-run.ts';
import { parityCheck } from '../../../steps/export/parity.ts';
import { backbonePath, backboneSha256 } from '../../helpers/paths.ts';
import { photos } from '../onnx/fixtures.ts';

/** A small made-up tail: 6 channels -> 10 (ReLU6) at 4 positions; the class is which channel is brightest. */
function toyTail(seed: number): TrainableTail {
  const rand = mulberry32(seed);
  const kernel = Float32Array.from({ length: 6 * 10 }, () => (rand() - 0.5) * 0.6);
  return {
    from: { tensor: 'toy', scale: 1, zeroPoint: 0, scaleName: 'toy_scale', zeroPointName: 'toy_zp', channels: 6 },
    convs: [{ node: 'toy_conv', inChannels: 6, outChannels: 10, kernel, bias: new Float32Array(10), activation: 'relu6' }],
    pooledDim: 10,
  };
}

function toyData(n: number, seed: number): { x: Float32Array; y: Int32Array; n: number } {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * 4 * 6);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let p = 0; p < 4; p++) for (let c = 0; c < 6; c++) x[(i * 4 + p) * 6 + c] = rand() * 0.5 + (c === y[i]! ? 1 : 0);
  }
  return { x, y, n };
}

describe('family finetune', () => {
  let tf: Tf;
  before(async () => {
    tf = (await selectBackend('cpu', { convTraining: false })).tf;
  });

  it('starts the tuned convs from the backbone weights and pools over the positions', () => {
    const tail = toyTail(1);
    const model = finetune.build(tf, { family: 'finetune', from: 'toy', layers: [] }, { inputDim: 24, numClasses: 3, seed: 1, backboneTail: tail });
    assert.deepEqual(model.layers.map((l) => l.getClassName()), ['InputLayer', 'Reshape', 'Dense', 'GlobalAveragePooling1D', 'Dense']);
    assert.deepEqual(Array.from(model.getLayer('ft_conv_0').getWeights()[0]!.dataSync()), Array.from(tail.convs[0]!.kernel));
    assert.throws(() => finetune.build(tf, { family: 'finetune', from: 'toy' }, { inputDim: 24, numClasses: 3, seed: 1 }), /needs dims.backboneTail/);
    assert.throws(() => finetune.build(tf, { family: 'finetune', from: 'other' }, { inputDim: 24, numClasses: 3, seed: 1, backboneTail: tail }), /starts at 'toy', the spec says from 'other'/);
    assert.throws(() => finetune.build(tf, { family: 'finetune', from: 'toy' }, { inputDim: 25, numClasses: 3, seed: 1, backboneTail: tail }), /inputDim 25 is not positions x 6/);
  });

  it('trains the convs and the head on a tiny generated set: the loss falls and the conv weights move', async () => {
    const tail = toyTail(2);
    const job = {
      family: 'finetune',
      spec: { family: 'finetune', from: 'toy', layers: [] },
      hyper: { lr: 0.01, epochs: 15, batch_size: 16 },
      backend: 'cpu' as const,
      numClasses: 3,
      train: toyData(48, 3),
      val: toyData(24, 4),
      inputDim: 24,
      backboneTail: tail,
    };
    const result = await trainRun(job, () => undefined);
    const first = result.epochs[0]!;
    const last = result.epochs[result.epochs.length - 1]!;
    assert.ok(last.train_loss < first.train_loss * 0.5, `train_loss ${first.train_loss} -> ${last.train_loss}`);
    assert.ok(last.val_acc! > 0.9, `val_acc ${last.val_acc}`);
    const trained = await modelFromArtifacts(tf, result.artifacts);
    const moved = Array.from(trained.getLayer('ft_conv_0').getWeights()[0]!.dataSync()).some((v, i) => Math.abs(v - tail.convs[0]!.kernel[i]!) > 1e-4);
    assert.ok(moved, 'the conv kernel must train');
    // trainable: head freezes the backbone layers (the control run).
    const frozen = await trainRun({ ...job, spec: { ...job.spec, trainable: 'head' }, hyper: { ...job.hyper, epochs: 2 } }, () => undefined);
    const kept = await modelFromArtifacts(tf, frozen.artifacts);
    assert.deepEqual(Array.from(kept.getLayer('ft_conv_0').getWeights()[0]!.dataSync()), Array.from(tail.convs[0]!.kernel));
  });

  describe('export onto the real backbone', () => {
    let tap: Tap;
    const bytes = fs.readFileSync(backbonePath);
    before(async () => {
      tap = await openTap(bytes, { sha256: backboneSha256, input: 'input', from: '624_quantized', threads: 2 });
    });
    after(() => tap?.dispose());

    for (const testTimeFlip of [false, true]) {
      it(`onnxruntime's logits equal the tfjs model's on real photos within 1e-3 (flip TTA ${testTimeFlip})`, async () => {
        const spec = { family: 'finetune' as const, from: '624_quantized', layers: [{ dense: 32, activation: 'relu' as const }] };
        const model = finetune.build(tf, spec, { inputDim: tap.positions * tap.channels, numClasses: 5, seed: 3, backboneTail: tap.tail });
        // Perturb the tuned conv so the export must carry the trained weights, not re-read the file's.
        const conv = model.getLayer('ft_conv_0');
        const [k, b] = conv.getWeights();
        conv.setWeights([tf.add(k!, tf.randomNormal(k!.shape, 0, 0.01, 'float32', 5)), tf.add(b!, 0.1)]);
        const onnx = finetune.toOnnx(model, { backbone: { bytes, input: 'input', featureNode: { tensor: '472_quantized', scale: '464_scale', zeroPoint: '464_zero_point' } }, metadata: {}, testTimeFlip }, spec);
        const graph = decodeModel(onnx).graph!;
        assert.deepEqual(graph.output!.map((o) => o.name), ['logits', 'features']);
        assert.ok(graph.node!.some((n) => n.name === 'ft_conv_0_Clip6') && graph.node!.some((n) => n.opType === 'GlobalAveragePool'));
        // No Clip of our own: OpenCV's dnn (the original serving stack) refuses Clip with its bounds as inputs.
        assert.ok(!graph.node!.some((n) => n.opType === 'Clip' && n.name?.startsWith('ft_')));
        const images = photos(1).slice(0, 4);
        const parity = await parityCheck({ tf, model, onnx, images, spec: DEFAULT_PREPROCESS, backbone: { features: tap.floatFeatures }, testTimeViews: testTimeFlip ? ['center', 'flip'] : ['center'] });
        assert.equal(parity.n, 4);
        assert.ok(parity.maxAbsDiff < 1e-3, `max |onnx - tfjs| = ${parity.maxAbsDiff}`);
      });
    }

    it('refuses to export without the trained entry', () => {
      const model = finetune.build(tf, { family: 'finetune', from: '624_quantized' }, { inputDim: tap.positions * tap.channels, numClasses: 3, seed: 1, backboneTail: tap.tail });
      assert.throws(() => finetune.toOnnx(model, { backbone: { bytes, input: 'input', featureNode: { tensor: '472_quantized', scale: '464_scale', zeroPoint: '464_zero_point' } }, metadata: {} }), /needs the trained entry/);
    });
  });
});
