import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stratifiedFolds } from '../../../steps/split/stratified-kfold.ts';

const items = ['a', 'b', 'c'].flatMap((c, ci) => Array.from({ length: 10 + ci * 7 }, (_, i) => ({ className: c, path: `${c}/${i}.jpg` })));

test('every class is spread evenly over the folds (within one image)', () => {
  const folds = stratifiedFolds(items, 3, 42);
  assert.ok(folds.every((f) => f >= 0 && f < 3));
  for (const c of ['a', 'b', 'c']) {
    const counts = [0, 1, 2].map((f) => items.filter((it, i) => it.className === c && folds[i] === f).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${c}: ${counts.join(',')}`);
  }
  const sizes = [0, 1, 2].map((f) => folds.filter((x) => x === f).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes.join(',')}`);
});

test('the same seed gives the same folds whatever the input order; another seed gives others', () => {
  const a = stratifiedFolds(items, 3, 7);
  const reversed = [...items].reverse();
  const b = stratifiedFolds(reversed, 3, 7);
  const byPath = (folds: number[], list: typeof items) => Object.fromEntries(list.map((it, i) => [it.path, folds[i]]));
  assert.deepEqual(byPath(b, reversed), byPath(a, items));
  assert.notDeepEqual(stratifiedFolds(items, 3, 8), a);
});
