import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combinations, expandGrid } from '../../../steps/grid/expand.ts';

test('combinations: cartesian product, first key (in schema order) varying slowest; scalars are one-value grids', () => {
  const combos = combinations({ batch_size: 64, epochs: [10, 20], lr: [0.1, 0.01] }, ['lr', 'epochs', 'batch_size']);
  assert.deepEqual(combos, [
    { lr: 0.1, epochs: 10, batch_size: 64 },
    { lr: 0.1, epochs: 20, batch_size: 64 },
    { lr: 0.01, epochs: 10, batch_size: 64 },
    { lr: 0.01, epochs: 20, batch_size: 64 },
  ]);
});

test('expandGrid names runs <arch>_<combo>_fold<k>, per-architecture params override the shared grid', () => {
  const runs = expandGrid(
    {
      architectures: [{ name: 'linear' }, { name: 'mlp', params: { lr: 0.5 } }],
      params: { lr: [0.1, 0.01], epochs: 5, batch_size: 32 },
      folds: [1, 2, 3],
    },
    ['lr', 'epochs', 'batch_size'],
  );
  assert.equal(runs.length, 2 * 3 + 1 * 3);
  assert.deepEqual(runs.slice(0, 4).map((r) => r.name), ['linear_c1_fold1', 'linear_c1_fold2', 'linear_c1_fold3', 'linear_c2_fold1']);
  assert.deepEqual(runs[3].params, { lr: 0.01, epochs: 5, batch_size: 32 });
  const mlp = runs.filter((r) => r.architecture === 'mlp');
  assert.deepEqual(mlp.map((r) => r.name), ['mlp_c1_fold1', 'mlp_c1_fold2', 'mlp_c1_fold3']);
  assert.ok(mlp.every((r) => r.params.lr === 0.5 && r.combination === 'c1'));
  assert.equal(new Set(runs.map((r) => r.name)).size, runs.length, 'names are unique');
});
