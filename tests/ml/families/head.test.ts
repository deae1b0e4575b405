import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, describe, it } from 'node:test';
import { selectBackend, type Tf } from '../../../ml/backends/select-backend.ts';
import { head } from '../../../ml/families/head.ts';
import { headLayers } from '../../../ml/families/head-onnx.ts';
import { loadBackbone } from '../../../ml/onnx/backbone.ts';
import type { DenseLayer } from '../../../ml/onnx/types.ts';
import { createSession, runLogits } from '../../../ml/onnx/session.ts';
import { mulberry32 } from '../../../ml/random.ts';
import { backboneFeatureNode, backbonePath, backboneSha256 } from '../../helpers/paths.ts';

const act: Record<DenseLayer['activation'], (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(0, v),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  elu: (v) => (v > 0 ? v : Math.expm1(v)),
};

/** Plain-JS forward pass of extracted layers (float64 accumulation). */
function jsForward(layers: readonly DenseLayer[], x: Float32Array, n: number): Float64Array {
  let h = Float64Array.from(x);
  for (const l of layers) {
    const out = new Float64Array(n * l.outDim);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < l.outDim; o++) {
        let s = l.bias[o]!;
        for (let i = 0; i < l.inDim; i++) s += h[r * l.inDim + i]! * l.kernel[i * l.outDim + o]!;
        out[r * l.outDim + o] = act[l.activation](s);
      }
    }
    h = out;
  }
  return h;
}

function randomInput(n: number, d: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
}

describe('family head', () => {
  let tf: Tf;
  before(async () => {
    tf = (await selectBackend('cpu', { convTraining: false })).tf;
  });

  it('an empty layer list is one Dense to the classes, with logits out (no softmax)', () => {
    const model = head.build(tf, { family: 'head', layers: [] }, { inputDim: 12, numClasses: 4, seed: 1 });
    assert.deepEqual(model.layers.map((l) => l.getClassName()), ['InputLayer', 'Dense']);
    const out = tf.tidy(() => (model.predict(tf.tensor2d(randomInput(3, 12, 2), [3, 12])) as ReturnType<typeof tf.tensor>).arraySync()) as number[][];
    assert.deepEqual([out.length, out[0]!.length], [3, 4]);
    assert.ok(out.some((row) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) > 1e-3), 'rows must not be probabilities');
    assert.ok(out.flat().some((v) => v < 0), 'logits can be negative');
  });

  it('builds hidden layers, dropout and activations as written, seeded', () => {
    const spec = { family: 'head' as const, layers: [{ dense: 8, activation: 'tanh' as const }, { dropout: 0.3 }, { dense: 6 }] };
    const a = head.build(tf, spec, { inputDim: 5, numClasses: 3, seed: 7 });
    const b = head.build(tf, spec, { inputDim: 5, numClasses: 3, seed: 7 });
    const c = head.build(tf, spec, { inputDim: 5, numClasses: 3, seed: 8 });
    const layers = a.layers.filter((l) => l.getClassName() !== 'InputLayer');
    assert.deepEqual(layers.map((l) => l.getClassName()), ['Dense', 'Dropout', 'Dense', 'Dense']);
    assert.deepEqual(layers.map((l) => (l.getConfig() as { activation?: string }).activation ?? null), ['tanh', null, 'relu', 'linear']);
    const w = (m: typeof a) => m.getWeights().map((t) => Array.from(t.dataSync()));
    assert.deepEqual(w(a), w(b), 'same seed, same initial weights');
    assert.notDeepEqual(w(a), w(c), 'another seed, other weights');
  });

  it('headLayers extracts Dense kernels in tfjs layout: a JS matmul reproduces model.predict within 1e-5', () => {
    const spec = { family: 'head' as const, layers: [{ dense: 16, activation: 'relu' as const }, { dropout: 0.5 }, { dense: 8, activation: 'elu' as const }, { dense: 6, activation: 'sigmoid' as const }] };
    const model = head.build(tf, spec, { inputDim: 20, numClasses: 5, seed: 3 });
    // Non-zero biases so that a bias mix-up shows.
    for (const l of model.layers.filter((x) => x.getClassName() === 'Dense')) {
      const [k, bias] = l.getWeights();
      l.setWeights([k!, tf.randomNormal(bias!.shape, 0, 0.5, 'float32', 11)]);
    }
    const layers = headLayers(model);
    assert.deepEqual(layers.map((l) => [l.inDim, l.outDim, l.activation]), [[20, 16, 'relu'], [16, 8, 'elu'], [8, 6, 'sigmoid'], [6, 5, 'linear']]);
    const n = 9;
    const x = randomInput(n, 20, 4);
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [n, 20])) as ReturnType<typeof tf.tensor>).dataSync());
    const got = jsForward(layers, x, n);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `logit ${i}: ${v} vs ${expected[i]}`));
  });

  it('toOnnx needs the backbone', () => {
    const model = head.build(tf, { family: 'head', layers: [] }, { inputDim: 4, numClasses: 2, seed: 1 });
    assert.throws(() => head.toOnnx(model, { metadata: {} }), /pass env.backbone/);
  });

  it('toOnnx composes onto the backbone: ONNX logits on an image = tfjs head on its backbone features', { skip: !fs.existsSync(backbonePath) && 'backbone not found' }, async () => {
    const backbone = await loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
    try {
      const model = head.build(tf, { family: 'head', layers: [{ dense: 32 }] }, { inputDim: backbone.dim, numClasses: 3, seed: 5 });
      const bytes = head.toOnnx(model, {
        backbone: { bytes: fs.readFileSync(backbonePath), input: backbone.inputName, featureNode: backboneFeatureNode },
        metadata: { labels: '["a","b","c"]' },
      });
      const image = randomInput(2, 3 * 224 * 224, 9);
      const features = await backbone.features(image, 2);
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(features, [2, backbone.dim])) as ReturnType<typeof tf.tensor>).dataSync());
      const session = await createSession(bytes);
      assert.deepEqual(session.inputNames, ['images']);
      assert.deepEqual(session.outputNames, ['logits', 'features'], 'the penultimate features ride along for monitoring');
      const { data, cols } = await runLogits(session, 'images', image, 2, [3, 224, 224]);
      assert.equal(cols, 3);
      data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-3, `logit ${i}: ${v} vs ${expected[i]}`));
      await session.release();
    } finally {
      await backbone.dispose();
    }
  });
});
