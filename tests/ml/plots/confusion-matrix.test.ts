import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { confusionMatrixSpec, renderConfusionMatrix } from '../../../ml/plots/confusion-matrix.ts';
import { tempDir } from '../../helpers/tmp.ts';

const names = ['pizza', 'steak', 'sushi'];

describe('confusion matrix', () => {
  it('writes a heatmap PNG with class names on the axes and counts in the cells', async (t) => {
    const out = path.join(tempDir(t), 'cm.png');
    const matrix = [[9, 1, 0], [2, 7, 1], [0, 0, 10]];
    await renderConfusionMatrix(matrix, names, out, { title: 'test split' });
    const meta = await sharp(out).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.width! > 300 && meta.width! < 2000, `width ${meta.width}`);
    assert.ok(meta.height! > 300 && meta.height! < 2000, `height ${meta.height}`);
    const spec = confusionMatrixSpec(matrix, names) as unknown as { data: { values: { actual: string; predicted: string; count: number }[] }; layer: { mark: unknown }[] };
    assert.deepEqual(spec.data.values[3], { actual: 'steak', predicted: 'pizza', count: 2 });
    assert.equal(spec.layer.length, 2, 'a text layer prints the counts');
  });

  it('different counts give different pictures; 101 classes still render', async (t) => {
    const dir = tempDir(t);
    await renderConfusionMatrix([[9, 1, 0], [2, 7, 1], [0, 0, 10]], names, path.join(dir, 'a.png'));
    await renderConfusionMatrix([[3, 3, 4], [2, 7, 1], [5, 0, 5]], names, path.join(dir, 'b.png'));
    const [a, b] = await Promise.all(['a.png', 'b.png'].map((f) => sharp(path.join(dir, f)).raw().toBuffer()));
    assert.notDeepEqual(a, b);
    const many = Array.from({ length: 101 }, (_, i) => `class_${i}`);
    const size = await renderConfusionMatrix(many.map((_, r) => many.map((_, c) => (r === c ? 5 : 0))), many, path.join(dir, 'c.png'));
    assert.ok(size.width < 4000 && size.height < 4000, JSON.stringify(size));
  });

  it('rejects a matrix that does not match the class names', () => {
    assert.throws(() => confusionMatrixSpec([[1, 2]], names), /expected 3 x 3 counts for 3 class names/);
  });
});
