import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectBackend } from '../../../ml/backends/select-backend.ts';

function installed(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const native = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');

test('auto falls back past the missing native backends to wasm for dense heads', { skip: native && 'a native tfjs backend is installed' }, async () => {
  const b = await selectBackend('auto', { convTraining: false });
  assert.equal(b.name, 'wasm');
  assert.equal(b.tf.getBackend(), 'wasm');
  assert.match(b.detail, /@tensorflow\/tfjs-node is not installed/);
  assert.match(b.detail, /@tensorflow\/tfjs-node-gpu is not installed/);
});

test('auto skips wasm when convolutions must train, and says why', { skip: native && 'a native tfjs backend is installed' }, async () => {
  const b = await selectBackend('auto', { convTraining: true });
  assert.equal(b.name, 'cpu');
  assert.equal(b.tf.getBackend(), 'cpu');
  assert.match(b.detail, /wasm cannot train convolutions/);
});

test('an explicit backend that is not installed is an error saying how to install it', { skip: native && 'a native tfjs backend is installed' }, async () => {
  await assert.rejects(selectBackend('tensorflow', { convTraining: false }), /training backend 'tensorflow' is not available: .*npm install @tensorflow\/tfjs-node/);
  await assert.rejects(selectBackend('tensorflow-gpu', { convTraining: false }), /npm install @tensorflow\/tfjs-node-gpu/);
});

test('explicit wasm for a model that trains convolutions is refused with the alternatives', async () => {
  await assert.rejects(selectBackend('wasm', { convTraining: true }), /'wasm' is not available: wasm cannot train convolutions.*use backend 'cpu'/);
});

test('explicit cpu and wasm select those backends', async () => {
  assert.equal((await selectBackend('cpu', { convTraining: true })).tf.getBackend(), 'cpu');
  assert.equal((await selectBackend('wasm', { convTraining: false })).tf.getBackend(), 'wasm');
});
