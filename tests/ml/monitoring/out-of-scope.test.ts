import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classPosteriors, fitClassGaussian, ledoitWolfShrinkage, nearestCentroidScore } from '../../../ml/monitoring/class-gaussian.ts';
import { energyScore } from '../../../ml/monitoring/energy.ts';
import { conformalQuantile, fitOutOfScope, outOfScopeScore, outOfScopeWindow } from '../../../ml/monitoring/out-of-scope.ts';
import { mulberry32 } from '../../../ml/random.ts';

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** `perClass` points around each of `classes` centroids placed 6 sd apart on the axes, in `dim` dims. */
function clusters(classes: number, perClass: number, dim: number, seed: number, offset = 0): { rows: Float64Array; labels: string[] } {
  const r = mulberry32(seed);
  const rows = new Float64Array(classes * perClass * dim);
  const labels: string[] = [];
  for (let c = 0; c < classes; c++) for (let k = 0; k < perClass; k++) {
    const i = c * perClass + k;
    for (let j = 0; j < dim; j++) rows[i * dim + j] = gauss(r) + (j === (c + offset) % dim ? 6 : 0);
    labels.push(`class${c + offset}`);
  }
  return { rows, labels };
}

describe('class-Gaussian model', () => {
  it("Ledoit-Wolf shrinkage matches sklearn's ledoit_wolf_shrinkage(assume_centered=True)", () => {
    // Expected: /usr/bin/python3 tests/ml/monitoring/reference/oos_reference.py (sklearn 1.2.1) -> 0.2352626340624906
    const n = 60, d = 12;
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = ((i * 37 + j * 11 + i * j * 5) % 29) / 29 - 0.5 + (j === 0 ? ((i * 7) % 13) / 13 : 0);
    const scatter = new Float64Array(d * d);
    for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) scatter[a * d + b]! += x[i * d + a]! * x[i * d + b]!;
    assert.ok(Math.abs(ledoitWolfShrinkage(x, n, d, scatter) - 0.2352626340624906) < 1e-12);
  });

  it('classifies well-separated clusters and puts a point far from all centroids far away', () => {
    const { rows, labels } = clusters(4, 30, 8, 1);
    const m = fitClassGaussian(rows, labels, 8);
    const p = classPosteriors(m, [0, 6, 0, 0, 0, 0, 0, 0]);
    assert.equal(m.classes[p.indexOf(Math.max(...p))], 'class1');
    assert.ok(nearestCentroidScore(m, [0, 0, 0, 0, 0, 0, 0, 20]) > 50);
    assert.ok(m.shrinkage >= 0 && m.shrinkage <= 1);
  });
});

describe('out-of-scope calibration', () => {
  it('the conformal quantile bounds the false-positive rate', () => {
    const s = Array.from({ length: 99 }, (_, i) => i + 1);
    assert.equal(conformalQuantile(s, 0.05), 95); // ceil(100 * 0.95) = 95th smallest
    assert.equal(conformalQuantile([1, 2, 3], 0.05), Infinity); // too few scores for a 5% guarantee
  });

  it('holds its stated 5% rate on fresh in-scope points and flags other classes', () => {
    const ref = clusters(4, 60, 8, 2);
    const oos = fitOutOfScope(ref.rows, ref.labels, 8, { fpr: 0.05 });
    const fresh = clusters(4, 250, 8, 3);
    const scores = Array.from({ length: 1000 }, (_, i) => outOfScopeScore(oos, fresh.rows.subarray(i * 8, (i + 1) * 8)));
    const rate = scores.filter((s) => s > oos.threshold).length / 1000;
    assert.ok(rate < 0.09, `false-positive rate ${rate}`); // 5% target; the binomial sd at n=1000 is 0.7%
    const inWindow = outOfScopeWindow(oos, scores.slice(0, 100));
    assert.equal(inWindow.drifted, false);
    const other = clusters(3, 34, 8, 4, 4); // centroids on axes 4-6: classes the model never saw
    const otherScores = Array.from({ length: 102 }, (_, i) => outOfScopeScore(oos, other.rows.subarray(i * 8, (i + 1) * 8)));
    const w = outOfScopeWindow(oos, otherScores);
    assert.equal(w.drifted, true);
    assert.ok(w.share > 0.9 && w.pValue < 1e-10, `share ${w.share}, p ${w.pValue}`);
  });

  it('names what is wrong with its inputs', () => {
    assert.throws(() => fitOutOfScope(new Float64Array(8), ['a', 'b'], 4, { fpr: 1.5 }), /fpr must be in \(0, 1\), got 1.5/);
    assert.throws(() => fitClassGaussian(new Float64Array(7), ['a', 'b'], 4), /7 values for 2 labels x 4 dims/);
  });
});

describe('energy score', () => {
  it('matches -T logsumexp(logits / T) from scipy.special.logsumexp', () => {
    // Expected: /usr/bin/python3 -c "from scipy.special import logsumexp; import numpy as np;
    //   l = np.array([2.0, -1.0, 0.5, 3.2, -0.7]); print(-logsumexp(l), -2 * logsumexp(l / 2))"
    const l = [2.0, -1.0, 0.5, 3.2, -0.7];
    assert.ok(Math.abs(energyScore(l) - -3.539066876856404) < 1e-12);
    assert.ok(Math.abs(energyScore(l, 2) - -4.657783715298667) < 1e-12);
    assert.ok(Number.isFinite(energyScore([1000, 999, -1000])), 'no overflow on large logits');
    assert.ok(energyScore([0.1, 0.1, 0.1]) > energyScore([8, 0.1, 0.1]), 'a confident logit vector has lower energy');
  });
});
