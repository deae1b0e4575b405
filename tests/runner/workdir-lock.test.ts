/**
 * One run per workdir: a second `pipeline run` in a busy workdir exits at once naming the holder; a lock left by
 * a killed run (dead pid on this host, or a silent lock from another host) is recovered.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { acquireWorkdirLock, LOCK_FILE, WorkdirBusyError, WorkdirGuard } from '../../runner/workdir-lock.ts';
import { exited, runCli, spawnCli, waitFor } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

function project(t: Parameters<typeof tempDir>[0], parts: number, delayMs: number, holdUntil?: string): string {
  const dir = tempDir(t, 'f101-lock-');
  for (const f of ['slow-step.ts', 'echo-step.ts']) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    ['name: lock-test', 'data: { root: . }', 'stages:', `  middle: { step: ./slow-step.ts, with: { parts: ${parts}, delay_ms: ${delayMs}${holdUntil ? `, hold_until: ${holdUntil}` : ''} } }`, '  last: { step: ./echo-step.ts }', ''].join('\n'),
  );
  return dir;
}

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

test('a second run in a busy workdir exits at once, naming the holder; after the first ends, runs go on', async (t) => {
  // The first run holds its stage until the test writes outputs/release: it is busy however slow the machine is.
  const dir = project(t, 2, 10, 'release');
  const first = spawnCli(['run', 'pipeline.yaml'], { cwd: dir });
  let firstErr = '';
  first.stderr!.on('data', (d: Buffer) => (firstErr += d.toString()));
  t.after(() => first.kill('SIGKILL'));
  await waitFor(() => fs.existsSync(path.join(dir, 'outputs', 'started')), 120_000, 'the first run to start its stage');

  const second = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`another run is using this workdir: pid ${first.pid} on ${os.hostname()}, since \\d{4}-`));
  assert.match(second.stderr, /pipeline run/);
  assert.doesNotMatch(second.stderr, /running step/, 'the second run must not start any stage');
  assert.ok(fs.existsSync(path.join(dir, 'outputs', 'started')));

  fs.writeFileSync(path.join(dir, 'outputs', 'release'), '');
  const { code } = await exited(first);
  assert.equal(code, 0, firstErr);
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), 'the lock is released at the end');
  const third = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stderr, /0 ran, 2 cached/);
});

test('a run killed with SIGKILL leaves a lock that the next run recovers (dead pid on this host)', async (t) => {
  // Held until killed (outputs/release is never written), so the kill always lands mid-stage.
  const dir = project(t, 2, 10, 'release');
  const child = spawnCli(['run', 'pipeline.yaml'], { cwd: dir });
  await waitFor(() => fs.existsSync(path.join(dir, 'outputs', 'started')), 120_000, 'the run to start');
  child.kill('SIGKILL');
  await exited(child);
  assert.ok(fs.existsSync(path.join(dir, LOCK_FILE)), 'a killed run cannot remove its lock');
  fs.writeFileSync(path.join(dir, 'outputs', 'release'), '');
  const next = runCli(['run', 'pipeline.yaml', '--set', 'stages.middle.with.delay_ms=1'], { cwd: dir });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, new RegExp(`recovered a stale workdir lock left by pid ${child.pid}`));
});

test('the lock: O_EXCL file with pid/host/since, busy while held, stale by dead pid or missing heartbeat', (t) => {
  const dir = tempDir(t, 'f101-lock-unit-');
  const lock = acquireWorkdirLock(dir, { command: 'test' });
  const holder = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
  assert.deepEqual({ pid: holder.pid, host: holder.host, command: holder.command }, { pid: process.pid, host: os.hostname(), command: 'test' });
  assert.throws(() => acquireWorkdirLock(dir), (e: unknown) => e instanceof WorkdirBusyError && e.holder.pid === process.pid);
  lock.release();
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)));

  // Dead pid on this host: recovered at once.
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), since: '2020-01-01T00:00:00.000Z', command: 'old' }));
  const again = acquireWorkdirLock(dir);
  assert.equal(again.recovered?.command, 'old');
  again.release();

  // Another host, heartbeat fresh: busy. Silent longer than staleMs: recovered.
  fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere', since: '2020-01-01T00:00:00.000Z', command: 'remote' }));
  assert.throws(() => acquireWorkdirLock(dir, { staleMs: 60_000 }), /pid 1 on elsewhere/);
  const old = new Date(Date.now() - 120_000);
  fs.utimesSync(file, old, old);
  const taken = acquireWorkdirLock(dir, { staleMs: 60_000 });
  assert.equal(taken.recovered?.host, 'elsewhere');
  taken.release();
});

test('the holder keeps its lock fresh (heartbeat touches the file)', async (t) => {
  const dir = tempDir(t, 'f101-lock-hb-');
  const lock = acquireWorkdirLock(dir, { heartbeatMs: 20 });
  t.after(() => lock.release());
  const file = path.join(dir, LOCK_FILE);
  const old = new Date(Date.now() - 600_000);
  fs.utimesSync(file, old, old);
  await waitFor(() => Date.now() - fs.statSync(file).mtimeMs < 60_000, 5_000, 'the heartbeat');
});

test('shard locks: shards of a stage share a workdir; the same shard twice, or a shard beside a whole-workdir run, is refused', (t) => {
  const dir = tempDir(t, 'f101-shardlock-');
  const warn = (): void => {};
  const s0 = new WorkdirGuard(dir, warn, 'train@0of3');
  const s1 = new WorkdirGuard(dir, warn, 'train@1of3');
  s0.hold();
  s1.hold(); // another shard: no conflict
  assert.ok(fs.existsSync(path.join(dir, `${LOCK_FILE}.train@0of3`)));
  assert.throws(() => new WorkdirGuard(dir, warn, 'train@0of3').hold(), WorkdirBusyError);
  const whole = new WorkdirGuard(dir, warn);
  assert.throws(() => whole.hold(), (err: unknown) => err instanceof WorkdirBusyError && /train@/.test((err as Error).message));
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)), 'the refused whole-workdir run gave its lock back');
  s0.release();
  s1.release();
  whole.hold();
  assert.throws(() => new WorkdirGuard(dir, warn, 'train@2of3').hold(), (err: unknown) => err instanceof WorkdirBusyError && !fs.existsSync(path.join(dir, `${LOCK_FILE}.train@2of3`)));
  whole.release();
  const s2 = new WorkdirGuard(dir, warn, 'train@2of3');
  s2.hold();
  s2.release();
});
