import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningRateAt } from '../../../ml/training/hyperparams.ts';
import { trainRun } from '../../../ml/training/train-run.ts';
import { headJob } from './fixtures.ts';

test('cosine decays from lr at epoch 1 to a small positive lr at the last epoch; constant stays', () => {
  const hp = { lr: 0.01, epochs: 10, lrSchedule: 'cosine' as const };
  assert.equal(learningRateAt(hp, 1), 0.01);
  assert.ok(Math.abs(learningRateAt(hp, 6) - 0.005) < 1e-15); // half-way
  const all = Array.from({ length: 10 }, (_, i) => learningRateAt(hp, i + 1));
  assert.ok(all.every((v, i) => i === 0 || v < all[i - 1]!));
  assert.ok(all[9]! > 0 && all[9]! < 0.0003);
  assert.equal(learningRateAt({ ...hp, lrSchedule: 'constant' }, 7), 0.01);
});

test('the schedule reaches the optimizer: epoch 1 trains alike, later epochs differ', async () => {
  const weightsAfter = async (epochs: number, lr_schedule: 'constant' | 'cosine') => {
    const job = headJob();
    const r = await trainRun({ ...job, hyper: { ...job.hyper, optimizer: 'sgd', epochs, lr_schedule } }, () => {});
    return Array.from(new Float32Array(r.artifacts.weightData));
  };
  assert.deepEqual(await weightsAfter(1, 'cosine'), await weightsAfter(1, 'constant'));
  const [cosine, constant] = [await weightsAfter(3, 'cosine'), await weightsAfter(3, 'constant')];
  assert.ok(cosine.some((v, i) => Math.abs(v - constant[i]!) > 1e-6), 'a cosine schedule trained exactly like a constant lr');
});
