/** The CPU budget follows cgroup v2, then v1, quotas, capped by affinity: fed cgroup files from a temp dir. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { budgetReport, cgroupQuota, cpuBudget, derivedThreads, uvThreadpoolSize } from '../../server/cpu-budget.ts';
import { tempDir } from '../helpers/tmp.ts';

function root(t: { after(fn: () => unknown): void }, files: Record<string, string>): string {
  const dir = tempDir(t, 'f101-cgroup-');
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), `${text}\n`);
  }
  return dir;
}

describe('cpu budget', () => {
  it('cgroup v2: a 1.5 CPU quota gives 1 CPU, "max" gives the affinity', (t) => {
    assert.deepEqual(cpuBudget({ root: root(t, { 'cpu.max': '150000 100000' }), affinity: 8 }), { cpus: 1, quota: 1.5, affinity: 8, source: 'cgroup v2' });
    assert.deepEqual(cpuBudget({ root: root(t, { 'cpu.max': '400000 100000' }), affinity: 8 }).cpus, 4);
    assert.deepEqual(cpuBudget({ root: root(t, { 'cpu.max': 'max 100000' }), affinity: 2 }), { cpus: 2, affinity: 2, source: 'affinity' });
  });

  it('cgroup v1 when there is no cpu.max; -1 means no quota', (t) => {
    assert.deepEqual(cgroupQuota(root(t, { 'cpu/cpu.cfs_quota_us': '200000', 'cpu/cpu.cfs_period_us': '100000' })), { quota: 2, source: 'cgroup v1' });
    assert.equal(cgroupQuota(root(t, { 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' })), undefined);
    assert.equal(cgroupQuota(root(t, {})), undefined);
  });

  it('affinity below the quota wins (taskset -c 0 in a 4-CPU pod), and threads follow', (t) => {
    const b = cpuBudget({ root: root(t, { 'cpu.max': '400000 100000' }), affinity: 1 });
    assert.deepEqual(b, { cpus: 1, quota: 4, affinity: 1, source: 'affinity' });
    assert.deepEqual(derivedThreads(b), { intraOpNumThreads: 1, idleIntraOpNumThreads: 1, inferenceRuns: 1, maxBatch: 8, uvThreadpool: 2 });
    assert.deepEqual(derivedThreads(cpuBudget({ root: root(t, {}), affinity: 16 })), { intraOpNumThreads: 8, idleIntraOpNumThreads: 4, inferenceRuns: 2, maxBatch: 16, uvThreadpool: 32 });
  });

  it('a pod given more CPU (cgroup quota) gets more model threads, a bigger batch and a bigger decode pool', (t) => {
    const given = (quota: string) => derivedThreads(cpuBudget({ root: root(t, { 'cpu.max': `${quota} 100000` }), affinity: 64 }));
    assert.deepEqual(given('100000'), { intraOpNumThreads: 1, idleIntraOpNumThreads: 1, inferenceRuns: 1, maxBatch: 8, uvThreadpool: 2 });
    assert.deepEqual(given('200000'), { intraOpNumThreads: 1, idleIntraOpNumThreads: 2, inferenceRuns: 2, maxBatch: 4, uvThreadpool: 4 });
    assert.deepEqual(given('400000'), { intraOpNumThreads: 2, idleIntraOpNumThreads: 4, inferenceRuns: 2, maxBatch: 16, uvThreadpool: 8 });
    assert.deepEqual(given('50000'), { intraOpNumThreads: 1, idleIntraOpNumThreads: 1, inferenceRuns: 1, maxBatch: 8, uvThreadpool: 2 }, 'half a CPU still gets one thread');
  });

  it('the report says what was derived and what runs (an explicit option, UV_THREADPOOL_SIZE from the environment)', (t) => {
    const b = cpuBudget({ root: root(t, { 'cpu.max': '400000 100000' }), affinity: 8 });
    const r = budgetReport(b, { intraOpNumThreads: 1, idleIntraOpNumThreads: 4, inferenceRuns: 1, maxBatch: 16 });
    assert.deepEqual({ ...r, running: { ...r.running, uvThreadpool: 0 } }, {
      cpus: 4, source: 'cgroup v2', quota: 4, affinity: 8,
      derived: { intraOpNumThreads: 2, idleIntraOpNumThreads: 4, inferenceRuns: 2, maxBatch: 16, uvThreadpool: 8 },
      running: { intraOpNumThreads: 1, idleIntraOpNumThreads: 4, inferenceRuns: 1, maxBatch: 16, uvThreadpool: 0 },
    });
    assert.equal(uvThreadpoolSize({ UV_THREADPOOL_SIZE: '6' }), 6);
    assert.equal(uvThreadpoolSize({}), 4, "libuv's default");
    assert.equal(uvThreadpoolSize({ UV_THREADPOOL_SIZE: 'x' }), 4);
  });
});
