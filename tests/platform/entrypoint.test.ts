/**
 * platform/docker/entrypoint.sh, run with bash as the images run it (dry-run mode prints the command it would exec):
 * each mode builds the right command, options given beat the environment, overrides expand, and what it runs exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';
import { checkInvocation } from './support/cli-surface.ts';
import { entrypoint, resolveEntrypoint } from './support/entrypoint.ts';
import { namedStages, stageNames } from './support/stages.ts';

test('the scripts parse (bash -n) and are executable', () => {
  for (const f of ['platform/docker/entrypoint.sh', 'platform/docker/install-accelerator.sh', 'platform/ci/food101-mini.sh']) {
    const r = spawnSync('bash', ['-n', path.join(repoRoot, f)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    assert.ok(fs.statSync(path.join(repoRoot, f)).mode & 0o100, `${f} is executable`);
  }
});

test('train: pipeline run <file> --until register, PIPELINE_OVERRIDES and options passed through', () => {
  const r = resolveEntrypoint(['train', '--force'], { PIPELINE_OVERRIDES: 'stages.split.with.folds=2 data.subset.fraction=0.5' });
  assert.deepEqual(r.cli, ['run', 'pipelines/food101.yaml', '--until', 'register', '--set', 'stages.split.with.folds=2', '--set', 'data.subset.fraction=0.5', '--force']);
  assert.deepEqual(checkInvocation(r.cli!), []);
  assert.deepEqual(resolveEntrypoint(['train'], { PIPELINE_FILE: 'x.yaml', TRAIN_UNTIL: 'grid' }).cli, ['run', 'x.yaml', '--until', 'grid']);
});

test('serve: host, port, model and alias from the environment, replaced by options given', () => {
  const r = resolveEntrypoint(['serve'], { PORT: '9001', MODEL_NAME: 'food101', MODEL_ALIAS: 'challenger' });
  assert.deepEqual(r.cli, ['serve', '--host', '0.0.0.0', '--port', '9001', '--model', 'food101', '--alias', 'challenger']);
  assert.deepEqual(checkInvocation(r.cli!), []);
  assert.deepEqual(resolveEntrypoint(['serve', '--port', '7', '--host=127.0.0.1']).cli, ['serve', '--port', '7', '--host=127.0.0.1']);
});

test('passthrough: other subcommands go to the CLI unchanged, --overrides expands anywhere', () => {
  assert.deepEqual(resolveEntrypoint(['registry', 'list', '--json']).cli, ['registry', 'list', '--json']);
  assert.deepEqual(resolveEntrypoint(['validate', 'pipelines/food101.yaml', '--overrides', 'a.b=1 c=[1,2]']).cli, ['validate', 'pipelines/food101.yaml', '--set', 'a.b=1', '--set', 'c=[1,2]']);
  assert.deepEqual(resolveEntrypoint(['run', 'f.yaml', '--overrides=']).cli, ['run', 'f.yaml']);
  assert.deepEqual(resolveEntrypoint(['bash', '-c', 'echo hi']).argv, ['bash', '-c', 'echo hi']);
  assert.deepEqual(resolveEntrypoint(['dev', 'npm', 'test']).argv, ['npm', 'test']);
  assert.deepEqual(resolveEntrypoint(['dev']).argv, ['bash']);
});

test('help: prints the modes and exits 0; a bad --overrides is a usage error', () => {
  const r = spawnSync('bash', [entrypoint, 'help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const mode of ['train', 'serve', 'dev']) assert.match(r.stdout, new RegExp(`^  ${mode}\\b`, 'm'));
  assert.equal(resolveEntrypoint(['run', 'f.yaml', '--overrides']).code, 2);
});

test('the stage `train` stops after exists in pipelines/food101.yaml', () => {
  const stages = stageNames();
  for (const s of namedStages(resolveEntrypoint(['train']).cli!)) {
    assert.ok(stages.includes(s), `entrypoint.sh train runs --until ${s}, but pipelines/food101.yaml has stages ${stages.join(', ')} (set TRAIN_UNTIL or add the stage)`);
  }
});
