import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedCalibrationError, reliabilityBins } from '../../../ml/monitoring/calibration.ts';
import { accuracyThreshold, estimateAccuracy, fitConfidenceCalibration } from '../../../ml/monitoring/cbpe.ts';
import { fitIsotonic, predictIsotonic } from '../../../ml/monitoring/isotonic.ts';
import { wilsonInterval } from '../../../ml/monitoring/wilson.ts';
import { mulberry32 } from '../../../ml/random.ts';

describe('isotonic regression', () => {
  it("matches sklearn's IsotonicRegression(out_of_bounds='clip')", () => {
    // Expected: /usr/bin/python3 tests/ml/monitoring/reference/cbpe_reference.py (sklearn 1.2.1)
    const x = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) / 100);
    const y = x.map((v, i) => (((i * 53) % 97) / 97 < v * 0.8 ? 1 : 0));
    const fit = fitIsotonic(x, y);
    const expected: Record<string, number> = { 0: 0, 0.05: 0.16666666666666666, 0.333: 0.18181818181818182, 0.5: 0.5, 0.77: 0.6034482758620691, 0.99: 0.8333333333333334, 1: 1, 1.2: 1 };
    for (const [v, e] of Object.entries(expected)) assert.ok(Math.abs(predictIsotonic(fit, Number(v)) - e) < 1e-12, `f(${v}) = ${predictIsotonic(fit, Number(v))}, sklearn ${e}`);
    for (let i = 1; i < fit.y.length; i++) assert.ok(fit.y[i]! >= fit.y[i - 1]!);
  });
});

describe('calibration check', () => {
  it('ECE is zero when accuracy equals confidence in every bin and measures the gap otherwise', () => {
    const conf = [0.25, 0.25, 0.25, 0.25, 0.95, 0.95];
    assert.equal(expectedCalibrationError([0.5, 0.5], [true, false]), 0);
    // bin 2: mean 0.25, accuracy 0.25; bin 9: mean 0.95, accuracy 0.5 -> ECE = (2/6) * 0.45
    assert.ok(Math.abs(expectedCalibrationError(conf, [true, false, false, false, true, false]) - (2 / 6) * 0.45) < 1e-12);
    const bins = reliabilityBins(conf, [true, false, false, false, true, false]);
    assert.deepEqual([bins.length, bins[2]!.count, bins[9]!.count], [10, 4, 2]);
    assert.throws(() => reliabilityBins([1.5], [true]), /confidence 1.5 at index 0 is not in \[0, 1\]/);
  });
});

describe('CBPE', () => {
  /** A model that is right with probability f(confidence). */
  function predictions(n: number, seed: number, truth: (c: number) => number) {
    const r = mulberry32(seed);
    const conf = Array.from({ length: n }, () => 0.3 + 0.7 * r());
    return { conf, correct: conf.map((c) => r() < truth(c)) };
  }

  it('on calibrated confidences keeps them raw and estimates a window accuracy within 2 sd', () => {
    const ref = predictions(2000, 1, (c) => c);
    const cal = fitConfidenceCalibration(ref.conf, ref.correct);
    assert.equal(cal.calibrator, null, `ECE raw ${cal.eceRaw} vs calibrated ${cal.eceCalibrated}`);
    const win = predictions(300, 2, (c) => c);
    const est = estimateAccuracy(cal, win.conf);
    const actual = win.correct.filter(Boolean).length / 300;
    assert.ok(Math.abs(est.estimate - actual) < 2 * Math.sqrt(actual * (1 - actual) / 300), `${est.estimate} vs ${actual}`);
  });

  it('on over-confident scores fits the isotonic map and corrects the estimate', () => {
    const truth = (c: number) => c * c; // says 0.9, is right 81% of the time
    const ref = predictions(2000, 3, truth);
    const cal = fitConfidenceCalibration(ref.conf, ref.correct);
    assert.notEqual(cal.calibrator, null);
    assert.ok(cal.eceCalibrated < cal.eceRaw);
    const win = predictions(1000, 4, truth);
    const actual = win.correct.filter(Boolean).length / 1000;
    const rawMean = win.conf.reduce((s, c) => s + c, 0) / 1000;
    const est = estimateAccuracy(cal, win.conf).estimate;
    assert.ok(Math.abs(est - actual) < 0.03 && rawMean - actual > 0.08, `estimate ${est}, raw ${rawMean}, actual ${actual}`);
    const t = accuracyThreshold(cal, 100);
    assert.ok(t < cal.referenceAccuracy && t > cal.referenceAccuracy - 0.2);
    assert.equal(accuracyThreshold(cal, 100, 0.1), cal.referenceAccuracy - 0.1);
  });
});

describe('Wilson interval', () => {
  it('matches the closed form evaluated with scipy', () => {
    // Expected: /usr/bin/python3 tests/ml/monitoring/reference/cbpe_reference.py (scipy.stats.norm.ppf)
    const cases: [number, number, number, number, number][] = [[8, 10, 0.95, 0.4901624715366418, 0.9433178485456248], [0, 10, 0.95, 0, 0.2775327998628892], [170, 200, 0.9, 0.8038124010604941, 0.8868445864811629]];
    for (const [k, n, c, lo, hi] of cases) {
      const w = wilsonInterval(k, n, c);
      assert.ok(Math.abs(w.lower - lo) < 1e-12 && Math.abs(w.upper - hi) < 1e-12, `${k}/${n}: [${w.lower}, ${w.upper}]`);
    }
    assert.throws(() => wilsonInterval(11, 10), /successes \(11\) <= n \(10\)/);
  });
});
