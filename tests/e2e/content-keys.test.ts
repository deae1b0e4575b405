/**
 * Content-addressed stage keys, through the real CLI on a small part of the mini data set: running an unchanged
 * stage again (`--only features --force`) leaves everything below it cached; performance knobs are not part of any
 * key; and two identical trainings (models deleted, trained again under new run ids) export the same bytes, so the
 * registry keeps one version.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { writeSmallPipeline } from '../helpers/small-pipeline.ts';
import { tempDir } from '../helpers/tmp.ts';

const DOWNSTREAM = ['grid', 'train', 'aggregate', 'export', 'register'];

test('re-running an unchanged stage leaves everything below it cached; identical trainings register one version', (t) => {
  const dir = tempDir(t, 'f101-keys-');
  writeSmallPipeline(dir);
  const first = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /7 ran, 0 cached/);
  // The training backend is said once, at the start of train, with how to get a faster one.
  const said = first.stderr.match(/train +training on the \S+ backend \(.+\); (faster|the fastest)/g) ?? [];
  assert.equal(said.length, 1, first.stderr);

  const forced = runCli(['run', 'pipeline.yaml', '--only', 'features', '--force'], { cwd: dir });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /0 vectors computed, \d+ reused/);
  const after = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(after.code, 0, after.stderr);
  for (const stage of DOWNSTREAM) assert.match(after.stderr, new RegExp(`✓ ${stage}\\s+cached`), `${stage} should stay cached:\n${after.stderr}`);
  assert.match(after.stderr, /0 ran, 7 cached/);

  // Performance knobs are not part of any key.
  const knobs = runCli(['plan', 'pipeline.yaml', '--set', 'stages.features.with.decode_concurrency=3', '--set', 'stages.features.with.batch_size=4', '--set', 'backbone.threads=1'], { cwd: dir });
  assert.equal(knobs.code, 0, knobs.stderr);
  assert.doesNotMatch(knobs.stdout, /pending/, knobs.stdout);

  // Two identical trainings: the trained models are gone, so train and the refit run again under new run ids.
  const runsBefore = JSON.parse(runCli(['runs', 'list', '--attempts', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir }).stdout) as { runId: string }[];
  fs.rmSync(path.join(dir, 'experiments', 'artifacts'), { recursive: true });
  const retrained = runCli(['run', 'pipeline.yaml', '--from', 'train', '--force'], { cwd: dir });
  assert.equal(retrained.code, 0, retrained.stderr);
  const runsAfter = JSON.parse(runCli(['runs', 'list', '--attempts', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir }).stdout) as { runId: string }[];
  assert.ok(runsAfter.length > runsBefore.length, 'the runs were trained again');
  assert.match(retrained.stderr, /already registered as keys_model v1/);
  const models = JSON.parse(runCli(['registry', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir }).stdout) as { versions: unknown[] }[];
  assert.equal(models[0].versions.length, 1);
});
