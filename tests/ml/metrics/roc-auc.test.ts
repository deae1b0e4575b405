import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryRocAuc } from '../../../ml/metrics/roc-auc.ts';

test('the scikit-learn example: 3 of 4 positive/negative pairs ordered right', () => {
  // positives score 0.35, 0.8; negatives 0.1, 0.4.
  // pairs: (0.35>0.1)=1, (0.35>0.4)=0, (0.8>0.1)=1, (0.8>0.4)=1 -> 3/4
  assert.equal(binaryRocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
});

test('ties count 1/2', () => {
  // positive 0.5; negatives 0.5, 0.2 -> (tie)=1/2 + 1 = 1.5 of 2 pairs = 0.75
  assert.equal(binaryRocAuc([0.5, 0.5, 0.2], [1, 0, 0]), 0.75);
  // every score equal: every pair is a tie -> 0.5
  assert.equal(binaryRocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]), 0.5);
});

test('perfect and reversed rankings', () => {
  assert.equal(binaryRocAuc([0.9, 0.8, 0.2, 0.1], [true, true, false, false]), 1);
  assert.equal(binaryRocAuc([0.1, 0.2, 0.8, 0.9], [true, true, false, false]), 0);
});

test('undefined without positives or without negatives', () => {
  assert.equal(binaryRocAuc([0.1, 0.2], [0, 0]), null);
  assert.equal(binaryRocAuc([0.1, 0.2], [1, 1]), null);
});
