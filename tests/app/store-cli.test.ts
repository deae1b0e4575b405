/**
 * Store selection from the CLI: `--store`, `--pipeline` and MLOPS_STORE_URL pick the same store for every
 * command; a missing SQLite file is reported instead of created; unknown models are named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { backends } from '../helpers/store-backends.ts';

const env = { MLOPS_STORE_URL: '' };

test('--store naming a SQLite file that does not exist is an error, and no file is created', (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'typo.db');
  for (const args of [['runs', 'list'], ['registry', 'list'], ['registry', 'show', 'food101'], ['mlflow', 'export', path.join(dir, 'out')]]) {
    const r = runCli([...args, '--store', missing], { cwd: dir, env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`no SQLite store at ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.equal(fs.existsSync(missing), false);
});

for (const backend of backends) {
  test(`${backend.name}: store migrate creates the store; every command then reads it through --store or MLOPS_STORE_URL`, async (t) => {
    const dir = tempDir(t);
    const url = await backend.url(t);
    const first = runCli(['store', 'migrate', '--store', url], { cwd: dir, env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied \d+ migrations/);
    assert.match(first.stdout, /tracking:\d+ /);
    const second = runCli(['store', 'migrate', '--store', url], { cwd: dir, env });
    assert.match(second.stdout, /is up to date/);

    const list = runCli(['registry', 'list'], { cwd: dir, env: { MLOPS_STORE_URL: url } });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /no registered models yet/);
    const runs = runCli(['runs', 'list', '--json', '--store', url], { cwd: dir, env });
    assert.deepEqual(JSON.parse(runs.stdout), []);

    const show = runCli(['registry', 'show', 'nosuch', '--store', url], { cwd: dir, env });
    assert.equal(show.code, 2);
    assert.match(show.stderr, /there is no model 'nosuch' in the registry .*registered: none yet/);
    const promote = runCli(['registry', 'promote', 'nosuch'], { cwd: dir, env: { MLOPS_STORE_URL: url } });
    assert.match(promote.stderr, /there is no model 'nosuch'/);
  });
}

test('a pipeline file\'s store.url is used by runs/registry with --pipeline', (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'elsewhere', 'shared.db');
  fs.writeFileSync(path.join(dir, 'p.yaml'), ['name: p', 'data: { root: . }', 'store:', `  url: "sqlite:elsewhere/shared.db"`, 'stages:', '  s: { step: split }', ''].join('\n'));
  const migrate = runCli(['store', 'migrate', '--pipeline', 'p.yaml'], { cwd: dir, env });
  assert.equal(migrate.code, 0, migrate.stderr);
  assert.ok(fs.existsSync(db), 'the store was created where store.url says, relative to the workdir');
  const list = runCli(['runs', 'list', '--pipeline', 'p.yaml'], { cwd: dir, env });
  assert.equal(list.code, 0, list.stderr);
});

test('run opens the store before the first stage: a bad store URL fails at once, nothing runs', (t) => {
  const dir = tempDir(t);
  fs.copyFileSync(path.join(import.meta.dirname, '../runner/fixtures/echo-step.ts'), path.join(dir, 'echo-step.ts'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(path.join(dir, 'p.yaml'), ['name: p', 'data: { root: . }', 'store: { url: "mysql://db/x" }', 'stages:', '  first: { step: ./echo-step.ts }', ''].join('\n'));
  const r = runCli(['run', 'p.yaml'], { cwd: dir, env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown scheme: use sqlite:<file> or postgres:/);
  assert.equal(fs.existsSync(path.join(dir, 'outputs', 'first.txt')), false);
  fs.writeFileSync(path.join(dir, 'p.yaml'), ['name: p', 'data: { root: . }', 'stages:', '  first: { step: ./echo-step.ts }', ''].join('\n'));
  const ok = runCli(['run', 'p.yaml', '-v'], { cwd: dir, env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /store: sqlite:.*experiments\/mlops\.db \(from default\)/);
});
