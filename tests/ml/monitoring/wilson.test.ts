import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wilsonInterval } from '../../../ml/monitoring/wilson.ts';

test('Wilson 95% intervals match the published values (Newcombe 1998, Table I, method 3)', () => {
  // [successes, n, lower, upper]
  const cases: [number, number, number, number][] = [[81, 263, 0.2553, 0.3662], [15, 148, 0.0624, 0.1605], [0, 20, 0, 0.1611], [1, 29, 0.0061, 0.1718]];
  for (const [s, n, lo, hi] of cases) {
    const w = wilsonInterval(s, n);
    assert.ok(Math.abs(w.lower - lo) < 5e-5 && Math.abs(w.upper - hi) < 5e-5, `${s}/${n}: [${w.lower}, ${w.upper}] vs [${lo}, ${hi}]`);
    assert.equal(w.estimate, s / n);
  }
  // A 254-photo test split at 75% accuracy can move by about +-5 points.
  const mini = wilsonInterval(190, 254);
  assert.ok(mini.upper - mini.lower > 0.1 && mini.upper - mini.lower < 0.11, `width ${mini.upper - mini.lower}`);
  assert.ok(wilsonInterval(190, 254, 0.99).upper > mini.upper);
  assert.throws(() => wilsonInterval(3, 2), /need 0 <= successes \(3\) <= n \(2\)/);
});
