/**
 * MLproject (MLflow Projects): parses, has the entry points the original project had, every `{param}` is declared
 * and every parameter used, and each command, with its defaults filled in the way MLflow does (each value
 * shell-quoted as one argument), runs a real CLI command through the entry point.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/paths.ts';
import { checkInvocation } from './support/cli-surface.ts';
import { resolveEntrypoint } from './support/entrypoint.ts';
import { entrypointArgs, shellCommands } from './support/shell-words.ts';
import { namedStages, stageNames } from './support/stages.ts';

type Param = { type?: string; default?: unknown };
type Entry = { parameters?: Record<string, Param>; command: string };
const project = parse(fs.readFileSync(path.join(repoRoot, 'MLproject'), 'utf8'), { uniqueKeys: true }) as {
  name: string;
  entry_points: Record<string, Entry>;
  docker_env?: unknown;
  conda_env?: unknown;
  python_env?: unknown;
};

/** What MLflow does with a parameter value: `shlex.quote`. */
const quote = (v: string) => (v === '' ? "''" : /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'"'"'`)}'`);
const fill = (e: Entry, values: Record<string, string> = {}) =>
  e.command.replace(/\{(\w+)\}/g, (_, name: string) => quote(values[name] ?? String(e.parameters?.[name]?.default ?? '')));

/** The CLI argv an entry point runs, through platform/docker/entrypoint.sh. */
function cliOf(name: string, values: Record<string, string> = {}): string[] {
  const commands = shellCommands(fill(project.entry_points[name], values));
  assert.equal(commands.length, 1, `${name}: one command`);
  const args = entrypointArgs(commands[0]);
  assert.ok(args, `${name}: runs platform/docker/entrypoint.sh`);
  const r = resolveEntrypoint(args);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.cli, `${name}: resolves to ${r.argv.join(' ')}, not the CLI`);
  return r.cli;
}

test('name and the entry points main, split, train, serve, validate', () => {
  assert.ok(project.name);
  for (const e of ['main', 'split', 'train', 'serve', 'validate']) assert.ok(project.entry_points[e], `entry point ${e}`);
});

test('placeholders and parameters match, with MLflow types and defaults', () => {
  for (const [name, e] of Object.entries(project.entry_points)) {
    const used = new Set([...e.command.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    const declared = Object.keys(e.parameters ?? {});
    for (const u of used) assert.ok(declared.includes(u), `${name}: {${u}} is not a declared parameter`);
    for (const d of declared) {
      assert.ok(used.has(d), `${name}: parameter ${d} is never used`);
      assert.ok(['string', 'float', 'path', 'uri'].includes(e.parameters![d].type ?? 'string'), `${name}.${d}: MLflow types are string, float, path, uri`);
      assert.ok(e.parameters![d].default !== undefined, `${name}.${d}: a default, so the entry point runs without -P`);
    }
  }
});

test('every entry point runs a real CLI command, with its defaults', () => {
  for (const name of Object.keys(project.entry_points)) assert.deepEqual(checkInvocation(cliOf(name)), [], name);
});

test('main runs the pipeline, train stops after train, split after split; overrides become --set options', () => {
  assert.equal(cliOf('main')[0], 'run');
  assert.deepEqual(namedStages(cliOf('train')), ['train']);
  assert.deepEqual(namedStages(cliOf('split')), ['split']);
  const cli = cliOf('main', { overrides: 'stages.split.with.folds=5 data.subset.fraction=0.5' });
  assert.deepEqual(cli.slice(-4), ['--set', 'stages.split.with.folds=5', '--set', 'data.subset.fraction=0.5']);
  assert.ok(!cliOf('main').includes('--set'), 'no overrides, no --set');
  assert.deepEqual(cliOf('serve', { port: '9000' }).slice(0, 1), ['serve']);
});

test('the stages the entry points stop at exist in pipelines/food101.yaml', () => {
  const stages = stageNames();
  for (const name of Object.keys(project.entry_points)) {
    for (const s of namedStages(cliOf(name))) assert.ok(stages.includes(s), `${name}: --until ${s}, but pipelines/food101.yaml has stages ${stages.join(', ')}`);
  }
});
