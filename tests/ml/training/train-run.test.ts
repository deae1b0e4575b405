import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { modelFromArtifacts } from '../../../ml/training/artifacts.ts';
import { trainRun } from '../../../ml/training/train-run.ts';
import type { EpochMetrics, TrainJob, TrainResult } from '../../../ml/training/types.ts';
import { blobs, headJob } from './fixtures.ts';

const run = (job: TrainJob, seen: EpochMetrics[] = []): Promise<TrainResult> => trainRun(job, (e) => seen.push(e));
const weights = (r: TrainResult) => Array.from(new Float32Array(r.artifacts.weightData));

/** Mean cross-entropy of the returned weights on `val`, computed from scratch. */
async function valLoss(r: TrainResult, job: TrainJob): Promise<number> {
  const model = await modelFromArtifacts(tf, r.artifacts);
  const val = job.val!;
  const loss = tf.tidy(() => {
    const logits = model.predict(tf.tensor2d(val.x, [val.n, job.inputDim!])) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(val.y, 'int32'), job.numClasses), logits).dataSync()[0]!;
  });
  model.dispose();
  return loss;
}

describe('trainRun', () => {
  it('learns separable features: loss falls, val_acc > 0.9, metrics per epoch, logged backend', async () => {
    const seen: EpochMetrics[] = [];
    let announced: { name: string; detail: string } | undefined;
    const r = await trainRun(headJob(), (e) => seen.push(e), { onBackend: (b) => (announced = b) });
    assert.equal(r.backend.name, 'wasm');
    assert.deepEqual(announced, r.backend);
    assert.match(r.backend.detail, /tfjs-backend-wasm/);
    assert.equal(r.epochs.length, 6);
    assert.deepEqual(seen, r.epochs);
    assert.deepEqual(r.epochs.map((e) => e.epoch), [1, 2, 3, 4, 5, 6]);
    const first = r.epochs[0]!;
    const last = r.epochs.at(-1)!;
    assert.ok(last.train_loss < first.train_loss * 0.5, `train_loss ${first.train_loss} -> ${last.train_loss}`);
    assert.ok(last.val_loss! < first.val_loss!, `val_loss ${first.val_loss} -> ${last.val_loss}`);
    assert.ok(last.val_acc! > 0.9, `val_acc ${last.val_acc}`);
    assert.equal(r.bestEpoch, 6);
    assert.equal(r.stoppedEarly, false);
    assert.ok(r.trainTimeSec > 0);
    // The weights handed back are the trained ones: recomputing val_loss from them gives the last epoch's.
    assert.ok(Math.abs((await valLoss(r, headJob())) - last.val_loss!) < 1e-4);
  });

  it('is reproducible: same job, same backend -> identical weights and metrics; another seed differs', async () => {
    const a = await run(headJob());
    const b = await run(headJob());
    assert.deepEqual(weights(a), weights(b));
    assert.deepEqual(a.epochs.map(({ seconds: _, ...m }) => m), b.epochs.map(({ seconds: _, ...m }) => m));
    const c = await run(headJob({ hyper: { lr: 0.01, epochs: 6, batch_size: 32, seed: 7 } }));
    assert.notDeepEqual(weights(a), weights(c));
  });

  it('stops early on val_loss and restores the best epoch\'s weights', async () => {
    // Validation labels that have nothing to do with the inputs: val_loss rises once the model fits the train set.
    const val = blobs(64, 24, 4, 3);
    const noisy = { ...val, y: Int32Array.from(val.y, (c, i) => (c + (i % 3) + 1) % 4) };
    const job = headJob({ hyper: { lr: 0.05, epochs: 40, batch_size: 32, early_stopping: { patience: 3 } }, val: noisy });
    const r = await run(job);
    assert.equal(r.stoppedEarly, true);
    assert.ok(r.epochs.length < 40);
    const losses = r.epochs.map((e) => e.val_loss!);
    assert.equal(r.bestEpoch, losses.indexOf(Math.min(...losses)) + 1);
    assert.equal(r.epochs.length, r.bestEpoch + 3);
    assert.ok(Math.abs((await valLoss(r, job)) - losses[r.bestEpoch - 1]!) < 1e-4, 'the best weights were restored');
  });

  it('min_delta counts only real improvements', async () => {
    const r = await run(headJob({ hyper: { lr: 0.01, epochs: 20, batch_size: 32, early_stopping: { patience: 1, min_delta: 10 } } }));
    assert.deepEqual([r.epochs.length, r.bestEpoch, r.stoppedEarly], [2, 1, true]);
  });

  it('trains without validation data (refit) and reports no val metrics', async () => {
    const r = await run(headJob({ val: undefined, spec: { family: 'head', layers: [] } }));
    assert.equal(r.epochs.length, 6);
    assert.ok(r.epochs.every((e) => e.val_loss === undefined && e.val_acc === undefined));
    await assert.rejects(run(headJob({ val: undefined, hyper: { lr: 0.01, epochs: 2, batch_size: 8, early_stopping: { patience: 1 } } })), /early_stopping needs validation data/);
  });

  it('runs every optimizer with weight decay and label smoothing', async () => {
    for (const optimizer of ['adam', 'sgd', 'momentum'] as const) {
      const r = await run(headJob({ hyper: { lr: 0.05, epochs: 4, batch_size: 64, optimizer, weight_decay: 1e-3, label_smoothing: 0.1 } }));
      const [first, last] = [r.epochs[0]!, r.epochs.at(-1)!];
      assert.ok(last.train_loss < first.train_loss, `${optimizer}: ${first.train_loss} -> ${last.train_loss}`);
      // With smoothing the loss cannot reach 0: the smoothed targets' entropy is its floor.
      assert.ok(last.train_loss > 0.1, `${optimizer}: ${last.train_loss}`);
    }
  });

  it('weight decay shrinks the weights', async () => {
    const norm = (r: TrainResult) => weights(r).reduce((s, w) => s + w * w, 0);
    const plain = await run(headJob({ hyper: { lr: 0.01, epochs: 5, batch_size: 32 } }));
    const decayed = await run(headJob({ hyper: { lr: 0.01, epochs: 5, batch_size: 32, weight_decay: 0.05 } }));
    assert.ok(norm(decayed) < norm(plain) * 0.9, `${norm(decayed)} vs ${norm(plain)}`);
  });

  it('rejects bad data with the reason', async () => {
    const bad = blobs(10, 24, 4, 1);
    await assert.rejects(run(headJob({ train: { ...bad, y: Int32Array.from(bad.y, (c) => (c === 3 ? 9 : c)) } })), /train: label 9 at row 3 is outside 0..3/);
    await assert.rejects(run(headJob({ train: { ...bad, n: 20 } })), /train: x has 240 values, expected 20 x 24/);
    await assert.rejects(run(headJob({ family: 'nope' })), /unknown architecture family 'nope'/);
    await assert.rejects(run(headJob({ family: 'cnn', spec: { family: 'cnn' } })), /trains from pixels: pass inputShape/);
  });

  it('stops between epochs when its signal aborts', async () => {
    const ac = new AbortController();
    const seen: EpochMetrics[] = [];
    const p = trainRun(headJob({ hyper: { lr: 0.01, epochs: 50, batch_size: 32 } }), (e) => {
      seen.push(e);
      if (e.epoch === 2) ac.abort(new Error('cancelled by test'));
    }, { signal: ac.signal });
    await assert.rejects(p, /cancelled by test/);
    assert.equal(seen.length, 2);
  });
});
