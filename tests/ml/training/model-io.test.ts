import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadTrained, MODEL_FORMAT, predictLogits, readTrained, saveTrained } from '../../../ml/training/model-io.ts';
import { trainRun } from '../../../ml/training/train-run.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { headJob } from './fixtures.ts';

describe('model-io', () => {
  it('saves atomically, loads back, and predicts the same logits as the trained weights', async (t) => {
    const job = headJob({ hyper: { lr: 0.01, epochs: 2, batch_size: 32 } });
    const r = await trainRun(job, () => {});
    const dir = path.join(tempDir(t), 'runs', 'mlp_fold0', 'model');
    const meta = { family: 'head', spec: job.spec, numClasses: 4, inputDim: 24 };
    await saveTrained(dir, r.artifacts, meta);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'weights.bin']);
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['model'], 'no temporary directory left behind');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, MODEL_FORMAT);
    assert.deepEqual(json.meta, meta);
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);

    const { model, meta: loadedMeta } = await loadTrained(dir, tf);
    assert.deepEqual(loadedMeta, meta);
    const val = job.val!;
    const logits = predictLogits(tf, model, val.x, val.n, 50); // 50: exercises a partial last batch
    assert.equal(logits.length, val.n * 4);
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(val.x, [val.n, 24])) as tf.Tensor).dataSync());
    logits.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5));
    // The weights on disk are the run's weights.
    assert.deepEqual(new Float32Array(readTrained(dir).artifacts.weightData), new Float32Array(r.artifacts.weightData));

    // Saving again replaces the directory as a whole.
    await saveTrained(dir, r.artifacts, { ...meta, numClasses: 4 });
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['model']);
  });

  it('says what is wrong with a directory that is not a trained model', (t) => {
    const dir = tempDir(t);
    assert.throws(() => readTrained(dir), /cannot read trained model .*model\.json/);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'keras' }));
    assert.throws(() => readTrained(dir), /format 'keras' is not 'food101-trained\/1'/);
  });

  it('predictLogits checks the input size', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    assert.throws(() => predictLogits(tf, model, new Float32Array(5), 2), /x has 5 values, expected 2 x 3/);
  });
});
