/**
 * A relocatable workdir: a copied (or moved) checkout keeps its cache. Stage states store paths inside the workdir
 * relative to it, so in the copy `plan` finds every stage cached, and the next stage reads its inputs from the
 * copy, not from the original (deleted here to make sure).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { writeSmallPipeline } from '../helpers/small-pipeline.ts';
import { tempDir } from '../helpers/tmp.ts';

test('a copied workdir: plan shows every stage cached; later stages read from the copy', (t) => {
  const original = tempDir(t, 'f101-reloc-a-');
  writeSmallPipeline(original);
  const first = runCli(['run', 'pipeline.yaml', '--until', 'train'], { cwd: original });
  assert.equal(first.code, 0, first.stderr);
  const state = fs.readFileSync(path.join(original, 'outputs', '.state', 'split.json'), 'utf8');
  assert.ok(!state.includes(original), 'no absolute path into the workdir in the stage state');

  const copy = path.join(tempDir(t, 'f101-reloc-b-'), 'moved');
  fs.cpSync(original, copy, { recursive: true });
  fs.rmSync(original, { recursive: true, force: true });
  const plan = runCli(['plan', 'pipeline.yaml'], { cwd: copy });
  assert.equal(plan.code, 0, plan.stderr);
  for (const stage of ['split', 'features', 'grid', 'train']) assert.match(plan.stdout, new RegExp(`${stage}\\s+\\S+\\s+cpu\\s+cached`), plan.stdout);

  const next = runCli(['run', 'pipeline.yaml', '--until', 'aggregate'], { cwd: copy });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /1 ran, 4 cached/);
  assert.ok(fs.existsSync(path.join(copy, 'outputs', 'metrics', 'summary.json')));
});
