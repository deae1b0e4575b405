import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend, type Tf } from '../../../ml/backends/select-backend.ts';
import { cnn, nchwToNhwc } from '../../../ml/families/cnn.ts';
import { decodeModel, getMetadata } from '../../../ml/onnx/proto.ts';
import { createSession, runLogits } from '../../../ml/onnx/session.ts';
import { mulberry32 } from '../../../ml/random.ts';
import { modelFromArtifacts } from '../../../ml/training/artifacts.ts';
import { trainRun } from '../../../ml/training/train-run.ts';
import type { EpochMetrics } from '../../../ml/training/types.ts';

const S = 32;
const spec = { family: 'cnn' as const, input: S, blocks: 2, hidden_units: 4 };

/** Class 0: bright top half; class 1: bright bottom half; plus noise. NHWC. */
function images(n: number, seed: number): { x: Float32Array; y: Int32Array; n: number } {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * S * S * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) for (let ch = 0; ch < 3; ch++) {
      const bright = (r < S / 2) === (y[i] === 0);
      x[((i * S + r) * S + c) * 3 + ch] = (bright ? 1 : -1) + (rand() - 0.5) * 0.4;
    }
  }
  return { x, y, n };
}

async function onnxMatchesTfjs(tf: Tf, model: ReturnType<typeof cnn.build>, n: number, opset?: number): Promise<void> {
  const bytes = cnn.toOnnx(model, { metadata: { labels: '["top","bottom"]' }, opset });
  const proto = decodeModel(bytes);
  assert.equal(getMetadata(proto).labels, '["top","bottom"]');
  assert.equal(Number(proto.opsetImport![0]!.version), opset ?? 13);
  const rand = mulberry32(99);
  const nchw = Float32Array.from({ length: n * 3 * S * S }, () => rand() * 2 - 1);
  const expected = tf.tidy(() => (model.predict(tf.tensor4d(nchwToNhwc(nchw, n, 3, S, S), [n, S, S, 3])) as ReturnType<typeof tf.tensor>).dataSync());
  const session = await createSession(bytes);
  assert.deepEqual([session.inputNames, session.outputNames], [['images'], ['logits']]);
  const { data, cols } = await runLogits(session, 'images', nchw, n, [3, S, S]);
  await session.release();
  assert.equal(cols, 2);
  let maxDiff = 0;
  data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - expected[i]!))));
  assert.ok(maxDiff < 1e-3, `max |onnx - tfjs| = ${maxDiff}`);
}

describe('family cnn', () => {
  let tf: Tf;
  before(async () => {
    tf = (await selectBackend('cpu', { convTraining: true })).tf;
  });

  it('builds TinyVGG: (conv, conv, pool) x blocks, flatten, dense to logits', () => {
    const model = cnn.build(tf, spec, { inputSize: S, channels: 3, numClasses: 2, seed: 1 });
    const kinds = model.layers.map((l) => l.getClassName()).filter((k) => k !== 'InputLayer');
    assert.deepEqual(kinds, ['Conv2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    assert.deepEqual(model.outputs[0]!.shape, [null, 2]);
    assert.deepEqual(model.getWeights()[0]!.shape, [3, 3, 3, 4]);
    assert.throws(() => cnn.build(tf, spec, { inputSize: 64, numClasses: 2, seed: 1 }), /spec says input 32 but the data is 64x64/);
  });

  it('nchwToNhwc moves channels last', () => {
    // 1 image, 2 channels, 1x2 pixels: NCHW [c0p0, c0p1, c1p0, c1p1] -> NHWC [c0p0, c1p0, c0p1, c1p1]
    assert.deepEqual(Array.from(nchwToNhwc(Float32Array.from([1, 2, 3, 4]), 1, 2, 1, 2)), [1, 3, 2, 4]);
  });

  it('an untrained net exports to ONNX with the same logits (NCHW in ONNX, NHWC in tfjs)', async () => {
    const model = cnn.build(tf, { ...spec, hidden_units: 3 }, { inputSize: S, channels: 3, numClasses: 2, seed: 2 });
    await onnxMatchesTfjs(tf, model, 3);
    await onnxMatchesTfjs(tf, model, 1, 17);
  });

  it('really trains on pixels (cpu backend) and the trained net exports with matching logits', async () => {
    const seen: EpochMetrics[] = [];
    const result = await trainRun(
      { family: 'cnn', spec, hyper: { lr: 0.01, epochs: 3, batch_size: 4 }, backend: 'cpu', numClasses: 2, train: images(8, 1), val: images(4, 2), inputShape: [S, S, 3] },
      (e) => seen.push(e),
    );
    assert.equal(result.backend.name, 'cpu');
    assert.equal(result.epochs.length, 3);
    assert.deepEqual(seen, result.epochs);
    for (const e of result.epochs) for (const v of [e.train_loss, e.val_loss!, e.train_acc, e.val_acc!]) assert.ok(Number.isFinite(v));
    assert.ok(result.epochs[2]!.train_loss < result.epochs[0]!.train_loss, `loss should fall: ${result.epochs.map((e) => e.train_loss)}`);
    const model = await modelFromArtifacts(tf, result.artifacts);
    await onnxMatchesTfjs(tf, model, 2);
  });
});
