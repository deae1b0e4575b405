/**
 * The CLI surface the platform files (Dockerfiles, compose, entry point, workflows, MLproject, docs) are written
 * against, checked on the real command tree from `buildProgram()`: a renamed command or option fails here first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkInvocation, findCommand } from './support/cli-surface.ts';

const surface: readonly (readonly string[])[] = [
  ['validate', 'pipelines/food101.yaml', '--set', 'a=1'],
  ['plan', 'pipelines/food101.yaml', '--only', 'split', '--from', 'split', '--until', 'train', '--set', 'a=1'],
  ['run', 'pipelines/food101.yaml', '--only', 'split', '--from', 'split', '--until', 'train', '--set', 'a=1', '--set', 'b=2', '--force', '--shard', '0/2'],
  ['runs', 'list', '--experiment', 'E', '--json'],
  ['runs', 'show', 'RUN', '--json'],
  ['registry', 'list', '--json'],
  ['registry', 'show', 'food101@champion', '--json'],
  ['registry', 'promote', 'food101', '--force'],
  ['registry', 'rollback', 'food101'],
  ['registry', 'alias', 'food101', 'champion', '1'],
  ['mlflow', 'export', 'outputs/mlruns'],
  ['serve', '--port', '8000', '--alias', 'champion', '--model', 'food101', '--host', '0.0.0.0'],
  ['k8s', 'render', 'pipelines/food101.yaml', '--out', 'k8s', '--image', 'food101-train:abc', '--serve-image', 'food101-serve:abc', '--gpu-image', 'food101-train-gpu:abc', '--namespace', 'food101', '--shards', '3', '--set', 'a=1'],
];

for (const argv of surface) {
  test(`pipeline ${argv.join(' ')}`, () => assert.deepEqual(checkInvocation(argv), []));
}

test('the checker itself rejects what the CLI would reject', () => {
  assert.ok(findCommand(['run']), 'run exists');
  assert.match(checkInvocation(['nope'])[0], /no such command 'nope'/);
  assert.match(checkInvocation(['run', 'f.yaml', '--no-such-option'])[0], /has no option --no-such-option/);
  assert.match(checkInvocation(['run'])[0], /needs 1 argument/);
  assert.match(checkInvocation(['run', 'a.yaml', 'b.yaml'])[0], /takes 1 argument/);
  assert.match(checkInvocation(['run', 'f.yaml', '--until'])[0], /needs a value/);
  assert.deepEqual(checkInvocation(['run', 'f.yaml', '--until=train', '--set=a=1', '--help']), []);
});
