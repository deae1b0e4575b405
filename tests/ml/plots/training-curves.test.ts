import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { renderTrainingCurves, trainingCurvesSpec } from '../../../ml/plots/training-curves.ts';
import type { EpochMetrics } from '../../../ml/training/types.ts';
import { tempDir } from '../../helpers/tmp.ts';

const curve = (n: number, gap: number): EpochMetrics[] =>
  Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    train_loss: 2 / (i + 1),
    val_loss: 2 / (i + 1) + gap * i,
    train_acc: 1 - 0.5 / (i + 1),
    val_acc: 0.9 - 0.5 / (i + 1),
    seconds: 0.1,
  }));

describe('training curves', () => {
  it('writes a PNG with loss and accuracy panels that decodes to a sensible size', async (t) => {
    const out = path.join(tempDir(t), 'plots', 'run.png');
    const size = await renderTrainingCurves(curve(10, 0.02), out, { title: 'mlp_c1_fold0', bestEpoch: 6 });
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [size.width, size.height]);
    assert.ok(meta.width! > 1000 && meta.width! < 3000, `width ${meta.width}`);
    assert.ok(meta.height! > 300 && meta.height! < 1500, `height ${meta.height}`);
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['run.png'], 'written atomically, nothing else left');
  });

  it('different runs give different pictures', async (t) => {
    const dir = tempDir(t);
    await renderTrainingCurves(curve(10, 0.02), path.join(dir, 'a.png'));
    await renderTrainingCurves(curve(10, 0.2), path.join(dir, 'b.png'));
    const [a, b] = await Promise.all(['a.png', 'b.png'].map((f) => sharp(path.join(dir, f)).raw().toBuffer()));
    assert.notDeepEqual(a, b);
  });

  it('plots train and val series for both panels and omits missing val points', () => {
    const spec = trainingCurvesSpec([{ epoch: 1, train_loss: 1, train_acc: 0.5, seconds: 1 }]) as unknown as { hconcat: { title: string; data: { values: { split: string }[] } }[] };
    assert.deepEqual(spec.hconcat.map((p) => p.title), ['loss', 'accuracy']);
    assert.deepEqual(spec.hconcat[0]!.data.values.map((v) => v.split), ['train']);
    const both = trainingCurvesSpec(curve(2, 0)) as unknown as typeof spec;
    assert.deepEqual(both.hconcat[1]!.data.values.map((v) => v.split), ['train', 'val', 'train', 'val']);
  });

  it('refuses an empty run', async (t) => {
    await assert.rejects(renderTrainingCurves([], path.join(tempDir(t), 'x.png')), /no epochs/);
  });
});
