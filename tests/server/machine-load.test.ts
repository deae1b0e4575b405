/** When the low-latency session may spin: by the CPU other processes use, not by a load average this server raised. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { otherCores, parseProcStat, quietMachine, type CpuSample } from '../../server/machine-load.ts';

test('parseProcStat reads the aggregate line: steal counts as busy, iowait as idle, the CPUs from the per-CPU lines', () => {
  const s = parseProcStat('cpu  100 5 20 300 10 1 2 30 0 0\ncpu0 50 2 10 150 5 0 1 15 0 0\ncpu1 50 3 10 150 5 1 1 15 0 0\nintr 1 2\n');
  assert.deepEqual(s, { busy: 100 + 5 + 20 + 1 + 2 + 30, total: 158 + 300 + 10, cpus: 2 });
  assert.equal(parseProcStat('intr 1 2\n'), undefined);
  assert.equal(parseProcStat('cpu  a b c d\n'), undefined);
});

test('otherCores: the machine busy time less our own', () => {
  const a = { busy: 0, total: 0, cpus: 2 };
  // Over 1 s both cores fully busy (200 ticks of 200), 1.8 s of CPU ours: others used 0.2 of a core.
  assert.ok(Math.abs(otherCores(a, { busy: 200, total: 200, cpus: 2 }, 1800, 1) - 0.2) < 1e-9);
  assert.equal(otherCores(a, { busy: 100, total: 200, cpus: 2 }, 1500, 1), 0, 'never negative');
  assert.equal(otherCores(a, a, 0, 1), 0, 'no ticks elapsed');
});

test('quiet while others leave room for the session, whatever this process itself just burnt; re-sampled at most once a second', () => {
  let t = 0;
  let machine: CpuSample = { busy: 0, total: 0, cpus: 2 };
  let own = 0;
  const quiet = quietMachine({ threads: 2, now: () => t, sample: () => machine, ownCpuMs: () => own, loadavg: () => 99, cores: 2 });
  assert.equal(quiet(), true, 'first call: no window yet');
  // This server was saturating both cores for a second (a burst): the machine is busy, but it was us.
  t += 1000;
  machine = { busy: 200, total: 200, cpus: 2 };
  own = 2000;
  assert.equal(quiet(), true, 'our own burst does not count (the load average would say 2+)');
  // Another process takes 1.5 cores while we idle.
  t += 1000;
  machine = { busy: 350, total: 400, cpus: 2 };
  assert.equal(quiet(), false);
  // Within the second, the answer is cached.
  machine = { busy: 350, total: 600, cpus: 2 };
  t += 500;
  assert.equal(quiet(), false);
  t += 600;
  assert.equal(quiet(), true, 'the other work stopped');
});

test('without /proc/stat the 1-minute load average decides', () => {
  let load = 3;
  let t = 0;
  const quiet = quietMachine({ threads: 2, now: () => t, sample: () => undefined, ownCpuMs: () => 0, loadavg: () => load, cores: 2 });
  assert.equal(quiet(), false);
  load = 0.5;
  t += 1000;
  assert.equal(quiet(), true);
});
