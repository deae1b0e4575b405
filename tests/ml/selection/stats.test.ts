import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNames, meanStd, minMaxNormalise } from '../../../ml/selection/stats.ts';

test('meanStd: sample std (n - 1), 0 for one value, error for none', () => {
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations sum 32, / 7
  const { mean, std } = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(mean, 5);
  assert.equal(std, Math.sqrt(32 / 7));
  assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  assert.throws(() => meanStd([]), /no values/);
});

test('minMaxNormalise: maps to [0, 1]; a constant input gets the given value, never NaN', () => {
  assert.deepEqual(minMaxNormalise([2, 4, 3], 1), [0, 1, 0.5]);
  assert.deepEqual(minMaxNormalise([0.5, 0.5], 1), [1, 1]);
  assert.deepEqual(minMaxNormalise([0.5], 0), [0]);
});

test('compareNames: natural order', () => {
  assert.deepEqual(['c10', 'c2', 'c1', 'b'].sort(compareNames), ['b', 'c1', 'c2', 'c10']);
});
