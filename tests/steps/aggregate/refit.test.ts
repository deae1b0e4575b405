import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refitRun } from '../../../steps/aggregate/refit.ts';
import type { TrainedRun } from '../../../steps/train/train-result.ts';

const fold = (bestEpoch: number) => ({ bestEpoch }) as TrainedRun;

test('a refit trains the winning configuration on all training data (fold 0) with the same params', () => {
  const run = refitRun({ architecture: 'linear', combination: 'c2', params: { lr: 0.01, epochs: 30, batch_size: 64 } }, [fold(30), fold(30)]);
  assert.deepEqual(run, { name: 'linear_c2_refit', architecture: 'linear', combination: 'c2', fold: 0, params: { lr: 0.01, epochs: 30, batch_size: 64 } });
});

test('under early stopping the refit trains for the mean best epoch of the folds, without early stopping', () => {
  const run = refitRun({ architecture: 'mlp', combination: 'c1', params: { lr: 0.01, epochs: 60, early_stopping: { patience: 5 } } }, [fold(10), fold(13), fold(14)]);
  assert.equal(run.params.epochs, 12);
  assert.equal(run.params.early_stopping, undefined);
});
