/**
 * Drift statistics against scipy 1.10.1 / numpy 1.24.2 (Debian python3-scipy). The samples are in
 * reference/drift-reference.json and the expected numbers below were printed by
 *   /usr/bin/python3 tests/ml/monitoring/reference/drift_reference.py
 * (ks_2samp(method='exact'), kstwobign.sf, wasserstein_distance, distance.jensenshannon(base=2), chisquare, chi2_contingency,
 * chi2.sf, binom.sf, norm.ppf; PSI by Evidently's binning re-implemented with numpy in that script).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { chiSquareDrift, chiSquareGof, chiSquareHomogeneityDrift, jensenShannonDistance, jensenShannonDrift } from '../../../ml/monitoring/stats/categorical.ts';
import { histogramCounts, sturgesEdges } from '../../../ml/monitoring/stats/histogram.ts';
import { kolmogorovSf, ksDrift, ksTwoSample } from '../../../ml/monitoring/stats/ks.ts';
import { autoNumericMethod, numericDrift } from '../../../ml/monitoring/stats/numeric-drift.ts';
import { psiDrift } from '../../../ml/monitoring/stats/psi.ts';
import { binomialSfAtLeast, chiSquaredSf, normalQuantile } from '../../../ml/monitoring/stats/special.ts';
import { wasserstein1, wassersteinDrift } from '../../../ml/monitoring/stats/wasserstein.ts';
import { mulberry32 } from '../../../ml/random.ts';

const samples = JSON.parse(fs.readFileSync(new URL('./reference/drift-reference.json', import.meta.url), 'utf8')) as Record<string, number[]>;
const { a, b, c, d, ta, tb } = samples as Record<'a' | 'b' | 'c' | 'd' | 'ta' | 'tb', number[]>;
/** The same integer-arithmetic sequences as `big()` in the Python script (exact in both languages). */
const big = (mult: number, mod: number, off: number, n: number) => Float64Array.from({ length: n }, (_, i) => ((i * mult) % mod) / mod + off);
const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs scipy ${expected}`);

/** Normal samples (Box-Muller on the project's seeded PRNG). */
function normals(n: number, mean: number, sd: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('two-sample KS', () => {
  it('matches scipy ks_2samp(method="exact") for unequal, equal and tied samples', () => {
    const cases: [number[], number[], number, number][] = [
      [a, b, 0.36428571428571427, 0.010125828312226798],
      [c, d, 0.3, 0.13500350250095441],
      [ta, tb, 0.21555555555555556, 0.18667769705430173],
    ];
    for (const [x, y, D, p] of cases) {
      const r = ksTwoSample(x, y);
      assert.equal(r.method, 'exact');
      close(r.statistic, D, 1e-12, 'D');
      close(r.pValue, p, 1e-9, 'p');
    }
  });

  it('switches to the asymptotic law above 10,000 values (scipy D; p from kstwobign)', () => {
    const r = ksTwoSample(big(7919, 10007, 0, 12000), big(104729, 10009, 0.01, 11000));
    assert.equal(r.method, 'asymptotic');
    close(r.statistic, 0.010424242424242447, 1e-12, 'D');
    close(r.pValue, 0.5609719440642549, 1e-9, 'p (kstwobign)');
    close(r.pValue, 0.5573927357580692, 0.01, 'p (scipy asymp)'); // scipy's finite-n refinement
  });

  it('kolmogorovSf matches scipy.stats.kstwobign.sf', () => {
    const expected: Record<string, number> = { 0.3: 0.9999906941986655, 0.6: 0.8642827790506042, 0.9: 0.3927307079406543, 1.0: 0.26999967167735456, 1.36: 0.049485876755377876, 2.0: 0.0006709252557796953 };
    for (const [x, p] of Object.entries(expected)) close(kolmogorovSf(Number(x)), p, 1e-10, `sf(${x})`);
  });

  it('flags a mean shift of 0.5 sd at n=200 and (mostly) not a null window', () => {
    const ref = normals(300, 0, 1, 1);
    assert.equal(ksDrift(ref, normals(200, 0.5, 1, 2)).drifted, true);
    let alarms = 0;
    for (let s = 0; s < 100; s++) alarms += ksDrift(ref, normals(100, 0, 1, 100 + s)).drifted ? 1 : 0;
    assert.ok(alarms <= 12, `${alarms}/100 false alarms at alpha 0.05`); // binomial(100, 0.05): P(X > 12) < 0.001
  });
});

describe('normed Wasserstein', () => {
  it('matches scipy wasserstein_distance, normed by np.std of the reference', () => {
    close(wasserstein1(a, b), 0.6896428571428572, 1e-12, 'W1');
    close(wassersteinDrift(a, b).score, 0.7765745361073704, 1e-12, 'normed');
    close(wasserstein1(big(7919, 10007, 0, 12000), big(104729, 10009, 0.01, 11000)), 0.01001152159152829, 1e-9, 'W1 large');
  });

  it('a shift of 0.2 sd drifts at threshold 0.1; a null window does not', () => {
    const ref = normals(2000, 0, 1, 3);
    const shifted = wassersteinDrift(ref, normals(500, 0.2, 1, 4));
    assert.equal(shifted.drifted, true, `score ${shifted.score}`);
    assert.equal(wassersteinDrift(ref, normals(2000, 0, 1, 5)).drifted, false);
  });
});

describe('PSI', () => {
  it("matches Evidently's Sturges binning and zero filling (numpy re-implementation)", () => {
    assert.equal(sturgesEdges([...a, ...b]).length - 1, 8);
    close(psiDrift(a, b).score, 1.7414105933266508, 1e-10, 'psi a/b');
    close(psiDrift(ta, tb).score, 1.421401599465284, 1e-10, 'psi ties (one bin per value)');
  });

  it('np.histogram closes the last bin and drops values outside', () => {
    assert.deepEqual(Array.from(histogramCounts([0, 0.5, 1, 1.5, 2, 3], Float64Array.from([0, 1, 2]))), [2, 3]);
  });
});

describe('categorical drift', () => {
  it('Jensen-Shannon distance matches scipy (base 2)', () => {
    close(jensenShannonDistance([30, 20, 10, 0, 5], [25, 25, 5, 5, 0]), 0.30751818550834453, 1e-12, 'JS');
    assert.equal(jensenShannonDistance([1, 2], [2, 4]), 0);
  });

  it('chi-squared matches scipy.stats.chisquare', () => {
    const r = chiSquareGof([18, 22, 30, 30], [25, 25, 25, 25]);
    close(r.statistic, 4.32, 1e-12, 'stat');
    close(r.pValue, 0.22891886433610517, 1e-10, 'p');
  });

  it('the two-sample chi-squared matches scipy.stats.chi2_contingency(correction=False)', () => {
    const expand = (counts: number[]) => counts.flatMap((c, k) => Array<string>(c).fill(`k${k}`));
    const r = chiSquareHomogeneityDrift(expand([30, 20, 10, 0, 5]), expand([25, 25, 5, 5, 0]));
    close(r.statistic!, 12.496762496762496, 1e-12, 'stat');
    close(r.score, 0.01401533655794638, 1e-10, 'p');
  });

  it('detects a class-mix change and not a resampled one; an unseen class is certain drift', () => {
    const ref = Array.from({ length: 500 }, (_, i) => `c${i % 10}`);
    const same = Array.from({ length: 200 }, (_, i) => `c${(i * 7) % 10}`);
    const skewed = Array.from({ length: 200 }, (_, i) => (i % 2 ? 'c0' : `c${i % 10}`));
    assert.equal(jensenShannonDrift(ref, same).drifted, false);
    assert.equal(chiSquareDrift(ref, same).drifted, false);
    assert.equal(jensenShannonDrift(ref, skewed).drifted, true);
    assert.equal(chiSquareDrift(ref, skewed).drifted, true);
    const unseen = chiSquareDrift(['x', 'y'], ['x', 'z']);
    assert.equal(unseen.score, 0);
    assert.equal(unseen.drifted, true);
  });
});

describe('special functions', () => {
  it('chi-squared and binomial tails and the normal quantile match scipy', () => {
    const chi: [number, number, number][] = [[3.84, 1, 0.05004352124870519], [20, 12, 0.06708596287903189], [100, 60, 0.0009168288614560842], [0.5, 3, 0.9188914116546758]];
    for (const [x, k, p] of chi) close(chiSquaredSf(x, k), p, 1e-10, `chi2.sf(${x}, ${k})`);
    const bin: [number, number, number, number][] = [[10, 100, 0.05, 0.028188294163416113], [3, 60, 0.05, 0.5825642313398343], [25, 100, 0.05, 1.8159668438289814e-11], [1, 10, 0.5, 0.9990234375]];
    for (const [k, n, p, e] of bin) close(binomialSfAtLeast(k, n, p), e, 1e-9, `P(X >= ${k} | ${n}, ${p})`);
    const q: [number, number][] = [[0.975, 1.959963984540054], [0.5, 0], [0.995, 2.5758293035489004], [0.05, -1.6448536269514729]];
    for (const [p, z] of q) close(normalQuantile(p), z, 1e-12, `ppf(${p})`);
  });
});

describe("Evidently's automatic method choice", () => {
  it('KS for <= 1000 reference values, Wasserstein above; chi-squared / JS for <= 5 distinct values', () => {
    assert.equal(autoNumericMethod(normals(1000, 0, 1, 6)), 'ks');
    assert.equal(autoNumericMethod(normals(1001, 0, 1, 7)), 'wasserstein');
    assert.equal(autoNumericMethod([1, 2, 3, 1, 2, 3]), 'chisquare');
    assert.equal(autoNumericMethod(Array.from({ length: 2000 }, (_, i) => i % 3)), 'jensenshannon');
    const r = numericDrift(a, b, { method: 'psi', threshold: 2 });
    assert.deepEqual([r.method, r.threshold, r.drifted], ['psi', 2, false]);
  });
});
