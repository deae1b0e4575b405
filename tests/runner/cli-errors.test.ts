/**
 * Every failure is a located, human error, never a stack trace: a missing pipeline file is a usage error (exit 2),
 * an oversized file is refused with its size, a failing stage names the stage and shows a stack only with -v.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const STACK = /\n\s+at .+:\d+:\d+/;

test('a missing pipeline file: exit 2, its name, no stack', (t) => {
  const dir = tempDir(t, 'f101-cli-err-');
  for (const cmd of [['validate'], ['plan'], ['run']]) {
    const r = runCli([...cmd, 'nosuch.yaml'], { cwd: dir });
    assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /pipeline file nosuch\.yaml does not exist/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.doesNotMatch(r.stderr, /ENOENT/);
  }
  const asDir = runCli(['validate', '.'], { cwd: dir });
  assert.equal(asDir.code, 2);
  assert.match(asDir.stderr, /\. is not a file/);
});

test('a file over the size cap is refused with its size before parsing', (t) => {
  const dir = tempDir(t, 'f101-cli-err-');
  fs.writeFileSync(path.join(dir, 'big.yaml'), `name: big\ndescription: "${'x'.repeat(3 * 1024 * 1024)}"\n`);
  const r = runCli(['validate', 'big.yaml'], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /big\.yaml:1:1 \(root\): the file is 3\.0 MB; a pipeline file may be at most 1 MB/);
  assert.doesNotMatch(r.stderr, STACK);
  // Every command takes -v, which adds the stack trace.
  const verbose = runCli(['validate', 'big.yaml', '-v'], { cwd: dir });
  assert.equal(verbose.code, 1);
  assert.match(verbose.stderr, STACK);
});

test('a stage that throws an unexpected error: stage named, no stack; the stack with -v', (t) => {
  const dir = tempDir(t, 'f101-cli-err-');
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(
    path.join(dir, 'boom.ts'),
    "export default { name: 'boom', version: 1, description: 'x', schema: { type: 'object' }, async run() { JSON.parse('{'); return { result: 1 }; } };\n",
  );
  fs.writeFileSync(path.join(dir, 'pipeline.yaml'), 'name: boom\ndata: { root: . }\nstages:\n  explode: { step: ./boom.ts }\n');
  const plain = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /stage 'explode' failed: /);
  assert.doesNotMatch(plain.stderr, STACK);
  const verbose = runCli(['run', 'pipeline.yaml', '-v'], { cwd: dir });
  assert.equal(verbose.code, 1);
  assert.match(verbose.stderr, STACK);
});
