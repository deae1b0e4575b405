import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarisePrediction } from '../../../ml/monitoring/prediction-summary.ts';

describe('summarisePrediction', () => {
  it('gives top-1, margin and entropy', () => {
    const s = summarisePrediction([0.1, 0.6, 0.3]);
    assert.equal(s.top1, 1);
    assert.equal(s.top1Probability, 0.6);
    assert.ok(Math.abs(s.margin - 0.3) < 1e-12);
    assert.ok(Math.abs(s.entropy - -(0.1 * Math.log(0.1) + 0.6 * Math.log(0.6) + 0.3 * Math.log(0.3))) < 1e-12);
    assert.ok(Math.abs(summarisePrediction([0.25, 0.25, 0.25, 0.25]).entropy - Math.log(4)) < 1e-12);
    const first = summarisePrediction([0.7, 0.2, 0.1]);
    assert.deepEqual([first.top1, first.top1Probability], [0, 0.7]);
    assert.ok(Math.abs(first.margin - 0.5) < 1e-12 && Math.abs(first.entropy - summarisePrediction([0.1, 0.2, 0.7]).entropy) < 1e-12);
    assert.equal(summarisePrediction([1]).margin, 1);
  });

  it('refuses logits', () => {
    assert.throws(() => summarisePrediction([2.3, -1]), /probability 2.3 at index 0 is not in \[0, 1\]; pass softmax outputs, not logits/);
  });
});
