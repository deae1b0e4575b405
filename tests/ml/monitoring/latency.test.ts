import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyWindow, percentile } from '../../../ml/monitoring/latency.ts';

describe('latency percentiles', () => {
  it("match numpy's np.percentile (linear interpolation)", () => {
    // Expected: /usr/bin/python3 -c "import numpy as np; v=[((i*37)%101)/4 for i in range(57)]; print(np.percentile(v,[50,95,99]))"
    const v = Array.from({ length: 57 }, (_, i) => ((i * 37) % 101) / 4);
    const expected: [number, number][] = [[50, 12.25], [95, 23.599999999999998], [99, 24.58]];
    for (const [q, e] of expected) assert.ok(Math.abs(percentile(v, q) - e) < 1e-12, `p${q}: ${percentile(v, q)} vs ${e}`);
    assert.throws(() => percentile([], 50), /no values/);
  });

  it('reports which SLO bounds a window breaks', () => {
    const slow = [...Array.from({ length: 95 }, () => 20), 150, 160, 170, 180, 190];
    assert.deepEqual(latencyWindow(slow, { p99Ms: 100, p50Ms: 30 }).breached, ['p99']);
    assert.deepEqual(latencyWindow(slow, {}).breached, []);
  });
});
