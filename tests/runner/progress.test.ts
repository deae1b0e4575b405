/**
 * Progress that tells the truth: durations round once (no `3m60s`), slow rates read per minute, and without a
 * TTY a progress line is written every few seconds even when no unit of work completed (a long training run).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { LogSink } from '../../runner/logger.ts';
import { createProgress, formatDuration, formatRate } from '../../runner/progress.ts';
import { Terminal } from '../../runner/terminal.ts';
import { tempDir } from '../helpers/tmp.ts';

test('durations and rates', () => {
  assert.equal(formatDuration(239.6), '4m00s');
  assert.equal(formatDuration(59.6), '1m00s');
  assert.equal(formatDuration(125.2), '2m05s');
  assert.equal(formatDuration(3599.7), '1h00m');
  assert.equal(formatDuration(7384), '2h03m');
  assert.equal(formatDuration(Infinity), '?');
  assert.equal(formatRate(2500, 'vectors'), '2500 vectors/s');
  assert.equal(formatRate(1.25, 'epochs'), '1.3 epochs/s');
  assert.equal(formatRate(0.05, 'runs'), '3.0 runs/min');
});

test('without a TTY, a line every few seconds with done/total, rate, ETA and what is in flight, ticks or not', async (t) => {
  const dir = tempDir(t, 'f101-progress-');
  const log = path.join(dir, 'run.log');
  const sink = new LogSink(new Terminal({ stream: new PassThrough() as unknown as NodeJS.WriteStream, env: {} }), { file: log });
  const p = createProgress(sink, 'train', 'training', 40, 'epochs', { everyMs: 40 });
  p.tick(10);
  p.note('runs 0/4 done, in flight: mlp_c1_fold1 epoch 10/20');
  await new Promise((r) => setTimeout(r, 200)); // no tick meanwhile
  p.done();
  sink.close();
  const lines = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('[train] training:'));
  assert.ok(lines.length >= 3, `expected periodic lines, got:\n${lines.join('\n')}`);
  assert.match(lines[0], /training: 10\/40 epochs \(25%\) [\d.]+ epochs\/(s|min), ETA \d+s, \ds elapsed; runs 0\/4 done, in flight: mlp_c1_fold1 epoch 10\/20/);
});
