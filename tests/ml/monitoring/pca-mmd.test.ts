import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mmdTest } from '../../../ml/monitoring/mmd.ts';
import { explainedShare, fitPca, project, projectRows, type PcaProjection } from '../../../ml/monitoring/pca.ts';
import { mulberry32 } from '../../../ml/random.ts';

/** The matrix of reference/pca_reference.py, rebuilt from the same integer arithmetic. */
function referenceMatrix(): Float64Array {
  const n = 120, d = 50;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    let v = 0;
    for (const [s, p, q] of [[10, 7, 11], [6, 13, 17], [4, 19, 23], [2, 29, 31], [1, 37, 41]] as const) v += s * (((i * p) % 101) / 101 - 0.5) * (((j * q) % 103) / 103 - 0.5);
    x[i * d + j] = v + (((i * 131 + j * 137) % 211) / 211) * 0.1;
  }
  return x;
}

function gaussianRows(n: number, dim: number, shift: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n * dim }, (_, i) => (i % dim === 0 ? shift : 0) + Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('fitPca', () => {
  // Expected numbers: sklearn 1.2.1 PCA(n_components=5, svd_solver='full') from
  //   /usr/bin/python3 tests/ml/monitoring/reference/pca_reference.py
  const sklearnVariance = [37.663378390348385, 13.145063282237283, 5.298713190360643, 1.4059685364911982, 0.28311382440455163];
  const sklearnFirst0 = -0.25200405961354455; // first entry of components_[0] (sign is arbitrary)
  const sklearnRow0 = [-10.451372809345658, -5.8202934044750965, -2.920772572686576, -1.4146309600105815, 0.9670666026176709];

  it('matches sklearn on explained variance, total variance and projections (up to sign)', () => {
    const p = fitPca(referenceMatrix(), 120, 50, { dim: 5 });
    for (let c = 0; c < 5; c++) assert.ok(Math.abs(p.explainedVariance[c]! - sklearnVariance[c]!) < 1e-8 * sklearnVariance[c]!, `variance ${c}: ${p.explainedVariance[c]} vs ${sklearnVariance[c]}`);
    assert.ok(Math.abs(p.totalVariance - 57.83165882101167) < 1e-9);
    assert.ok(Math.abs(Math.abs(p.components[0]![0]!) - Math.abs(sklearnFirst0)) < 1e-8);
    const row0 = project(p, referenceMatrix().subarray(0, 50));
    for (let c = 0; c < 5; c++) assert.ok(Math.abs(Math.abs(row0[c]!) - Math.abs(sklearnRow0[c]!)) < 1e-7, `coordinate ${c}`);
    assert.ok(explainedShare(p) > 0.99);
  });

  it('components are orthonormal and survive a JSON round trip', () => {
    const p = fitPca(referenceMatrix(), 120, 50, { dim: 5 });
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) {
      const dot = p.components[a]!.reduce((s, v, j) => s + v * p.components[b]![j]!, 0);
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-10);
    }
    const back = JSON.parse(JSON.stringify(p)) as PcaProjection;
    assert.deepEqual(projectRows(back, referenceMatrix(), 120), projectRows(p, referenceMatrix(), 120));
  });

  it('refuses impossible shapes with the numbers at fault', () => {
    assert.throws(() => fitPca(new Float64Array(10), 3, 4), /10 values is not 3 rows x 4/);
    assert.throws(() => fitPca(new Float64Array(12), 3, 4, { dim: 8 }), /dim 8 must be between 1 and min\(rows 3, input dim 4\)/);
    const p = fitPca(referenceMatrix(), 120, 50, { dim: 2 });
    assert.throws(() => project(p, new Float64Array(49)), /49 values, the projection expects 50/);
  });
});

describe('mmdTest', () => {
  it('detects a 0.5-sd shift of one coordinate in 16 dims with 200 vs 100 points', () => {
    const r = mmdTest(gaussianRows(200, 16, 0, 1), 200, gaussianRows(100, 16, 0.5, 2), 100, 16, { permutations: 300 });
    assert.equal(r.drifted, true, `p ${r.score}`);
    assert.ok(r.statistic! > 0);
  });

  it('keeps its false-alarm rate near alpha on null windows', () => {
    const ref = gaussianRows(150, 8, 0, 3);
    let alarms = 0;
    for (let s = 0; s < 40; s++) alarms += mmdTest(ref, 150, gaussianRows(60, 8, 0, 100 + s), 60, 8, { permutations: 200, seed: s }).drifted ? 1 : 0;
    assert.ok(alarms <= 6, `${alarms}/40 false alarms at alpha 0.05`); // binomial(40, 0.05): P(X > 6) < 0.01
  });
});
