import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { patchWasmMatMul } from '../../../ml/backends/wasm-matmul.ts';

function products(): Float32Array[] {
  return tf.tidy(() => {
    const a = tf.tensor2d(Float32Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i)), [7, 5]);
    const b = tf.tensor2d(Float32Array.from({ length: 5 * 3 }, (_, i) => Math.cos(i)), [5, 3]);
    const a3 = tf.tensor3d(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i * 0.7)), [2, 4, 3]);
    const b3 = tf.tensor3d(Float32Array.from({ length: 2 * 4 * 6 }, (_, i) => Math.cos(i * 0.3)), [2, 4, 6]);
    const bias = tf.tensor1d([0.5, -1, 2]);
    return [
      tf.matMul(a, b),
      tf.matMul(a, tf.tensor2d(Float32Array.from({ length: 7 * 3 }, (_, i) => i / 7), [7, 3]), true, false),
      tf.matMul(tf.tensor2d(Float32Array.from({ length: 4 * 3 }, (_, i) => i / 5), [4, 3]), b, false, true),
      tf.matMul(a, a, true, false),
      tf.matMul(a3, b3, true, false),
      tf.fused.matMul({ a, b: b.transpose(), transposeB: true, bias, activation: 'relu' }),
    ].map((t) => t.dataSync() as Float32Array);
  });
}

test('the patched wasm matMul gives the cpu results for every transpose combination', async () => {
  await tf.setBackend('cpu');
  const expected = products();
  await tf.setBackend('wasm');
  patchWasmMatMul(tf);
  patchWasmMatMul(tf); // idempotent
  const actual = products();
  assert.equal(actual.length, expected.length);
  actual.forEach((got, k) => {
    assert.equal(got.length, expected[k]!.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[k]![i]!) < 1e-4, `product ${k} element ${i}: ${v} vs ${expected[k]![i]}`));
  });
  assert.equal(tf.memory().numTensors, 0);
});
