import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../../ml/backends/select-backend.ts';
import { foldTemperature } from '../../../ml/calibration/fold-temperature.ts';
import { cnn } from '../../../ml/families/cnn.ts';
import { head } from '../../../ml/families/head.ts';
import { softmax } from '../../../ml/metrics/classification.ts';
import { createSession, runLogits } from '../../../ml/onnx/session.ts';
import { mulberry32 } from '../../../ml/random.ts';
import { modelArtifacts, modelFromArtifacts } from '../../../ml/training/artifacts.ts';

const S = 16;
const T = 2.5;

test('the exported graph with T folded in gives probabilities softmax(logits / T) of the uncalibrated model', async () => {
  const { tf } = await selectBackend('cpu', { convTraining: true });
  const model = cnn.build(tf, { family: 'cnn', input: S, blocks: 1, hidden_units: 3 }, { inputSize: S, channels: 3, numClasses: 5, seed: 3 });
  const calibrated = await modelFromArtifacts(tf, await modelArtifacts(tf, model));
  foldTemperature(tf, calibrated, T);
  const n = 4;
  const rand = mulberry32(5);
  const nchw = Float32Array.from({ length: n * 3 * S * S }, () => rand() * 4 - 2);
  const logitsOf = async (m: typeof model) => {
    const session = await createSession(cnn.toOnnx(m, { metadata: {} }));
    try {
      return (await runLogits(session, 'images', nchw, n, [3, S, S])).data;
    } finally {
      await session.release();
    }
  };
  const raw = await logitsOf(model);
  const served = softmax(await logitsOf(calibrated), 5); // what the server turns the graph's output into
  const expected = softmax(Float32Array.from(raw, (v) => v / T), 5);
  let maxDiff = 0;
  served.forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p - expected[i]!))));
  assert.ok(maxDiff < 1e-5, `max |softmax(calibrated) - softmax(logits / T)| = ${maxDiff}`);
  assert.ok(Math.max(...raw.map(Math.abs)) > 0.05, 'the raw logits are not all ~0 (else the check is empty)');
  model.dispose();
  calibrated.dispose();
});

test('folding scales only the final Dense layer; T = 1 is a no-op; a non-linear last layer is refused', async () => {
  const { tf } = await selectBackend('cpu', { convTraining: false });
  const mlp = head.build(tf, { family: 'head', layers: [{ dense: 4 }] }, { inputDim: 3, numClasses: 2, seed: 1 });
  const before = mlp.getWeights().map((w) => Array.from(w.dataSync()));
  foldTemperature(tf, mlp, 1);
  assert.deepEqual(mlp.getWeights().map((w) => Array.from(w.dataSync())), before);
  foldTemperature(tf, mlp, 4);
  const after = mlp.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(after.slice(0, 2), before.slice(0, 2), 'the hidden layer is untouched');
  after.slice(2).forEach((w, k) => w.forEach((v, i) => assert.ok(Math.abs(v - before[k + 2]![i]! / 4) < 1e-7)));
  assert.throws(() => foldTemperature(tf, mlp, 0), /temperature must be a finite number > 0, got 0/);
  const relu = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'relu' })] });
  assert.throws(() => foldTemperature(tf, relu, 2), /ends in Dense .* needs a final Dense layer with a linear activation/);
  mlp.dispose();
  relu.dispose();
});
