/**
 * `--shard i/n` is part of the train stage's key and state: `--shard 1/2` after `--shard 0/2` in one workdir trains
 * the second half (it used to find train "cached"); aggregate refuses, naming what is missing, while runs of the
 * grid are untrained, and sees every run once all shards are done.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { writeSmallPipeline } from '../helpers/small-pipeline.ts';
import { tempDir } from '../helpers/tmp.ts';

interface RunRow { name: string; status: string }

function gridRuns(dir: string): RunRow[] {
  const r = runCli(['runs', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as RunRow[]).filter((x) => /_fold\d$/.test(x.name) && x.status === 'finished');
}

test('shard 1/2 after shard 0/2 trains the second half; aggregate waits for every run of the grid', (t) => {
  const dir = tempDir(t, 'f101-shards-');
  writeSmallPipeline(dir, '', '[0.01, 0.02]'); // 2 combinations x 2 folds = 4 runs

  const first = runCli(['run', 'pipeline.yaml', '--until', 'aggregate', '--shard', '0/2'], { cwd: dir });
  assert.equal(first.code, 1, first.stderr);
  assert.match(first.stderr, /shard 0\/2: 2 of 4 runs/);
  assert.match(first.stderr, /cannot aggregate: 2 of 4 runs of the grid are not trained yet \(linear_c\d_fold\d, linear_c\d_fold\d\)/);
  assert.equal(gridRuns(dir).length, 2);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'outputs', '.state', 'train@0of2.json'), 'utf8'));
  assert.equal(state.shard, '0/2');

  const plan = runCli(['plan', 'pipeline.yaml'], { cwd: dir });
  assert.match(plan.stdout, /train\s+train\s+cpu\s+pending: its last run did shard 0\/2 only/);

  const second = runCli(['run', 'pipeline.yaml', '--until', 'aggregate', '--shard', '1/2'], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /shard 1\/2: 2 of 4 runs/);
  assert.doesNotMatch(second.stderr, /✓ train\s+cached/);
  const names = gridRuns(dir).map((r) => r.name).sort();
  assert.deepEqual(names, ['linear_c1_fold1', 'linear_c1_fold2', 'linear_c2_fold1', 'linear_c2_fold2']);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'outputs', 'metrics', 'summary.json'), 'utf8'));
  const seen = summary.selection.candidates.reduce((n: number, c: { runIds: string[] }) => n + c.runIds.length, 0) + summary.selection.dropped.length;
  assert.equal(seen, 4, 'aggregate saw every run of the grid (kept or dropped by the loss-gap filter)');

  // Without --shard, train reuses the four finished runs (nothing trained again).
  const whole = runCli(['run', 'pipeline.yaml', '--until', 'train'], { cwd: dir });
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal((whole.stderr.match(/reused a finished run/g) ?? []).length, 4);
});
