/**
 * No prototype pollution: `__proto__`, `constructor` and `prototype` are refused with a located error wherever
 * user keys are applied (--set paths and values, the file, merge keys, interpolation), and Object.prototype stays
 * clean. Non-finite numbers (`.inf`, `.nan`) are refused where the schema means a finite number.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadPipeline } from '../../../runner/config/load.ts';
import { applyOverrides, parseOverride } from '../../../runner/config/overrides.ts';
import { ConfigError, UsageError } from '../../../runner/errors.ts';
import { registry } from '../../../steps/index.ts';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

const BASE = 'name: safe\ndata: { root: x }\nstages:\n  split: { step: split, with: { folds: 3 } }\n  features: { step: features }\n  grid: { step: grid, with: { architectures: [linear], params: { lr: 0.01, epochs: 2, batch_size: 8 } } }\narchitectures:\n  linear: { family: head, layers: [] }\nbackbone: { path: b.onnx, sha256: cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f, feature_node: { tensor: t, scale: s, zero_point: z } }\n';

function write(t: Parameters<typeof tempDir>[0], text: string): string {
  const file = path.join(tempDir(t, 'f101-safe-'), 'p.yaml');
  fs.writeFileSync(file, text);
  return file;
}

function assertClean(): void {
  for (const key of ['x', 'polluted', 'y']) assert.equal((Object.prototype as Record<string, unknown>)[key], undefined, `Object.prototype.${key}`);
  assert.equal(({} as Record<string, unknown>).x, undefined);
}

test('--set __proto__.x=1 (and constructor / prototype segments) is refused and Object.prototype stays clean', async (t) => {
  const file = write(t, BASE);
  for (const text of ['__proto__.x=1', 'stages.__proto__.x=1', 'stages.split.constructor.prototype.x=1', 'data.prototype=1']) {
    assert.throws(() => parseOverride(text), (e: unknown) => e instanceof UsageError && e.message.startsWith(`--set ${text}: the key '`) && /not allowed/.test(e.message), text);
  }
  // Even an Override built by hand is refused by applyOverrides.
  assert.throws(() => applyOverrides({}, [{ path: ['__proto__', 'x'], value: 1, text: '__proto__.x=1' }]), UsageError);
  // A --set value that is a map with a forbidden key.
  await assert.rejects(loadPipeline(file, registry, { env: {}, overrides: [parseOverride('data.subset={__proto__: {polluted: 1}}')] }), (e: unknown) =>
    e instanceof ConfigError && e.message === "--set data.subset={__proto__: {polluted: 1}} data.subset.__proto__: the key '__proto__' is not allowed (it would reach into Object.prototype); rename it");
  assertClean();

  const cli = runCli(['validate', file, '--set', '__proto__.x=1']);
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(cli.stderr, /--set __proto__\.x=1: the key '__proto__' is not allowed/);
  assert.doesNotMatch(cli.stderr, /at .*\.ts:\d+/, 'no stack trace');
  assertClean();
});

test('forbidden keys in the file (also through merge keys) are located errors', async (t) => {
  // An anchor holding a forbidden key, merged into another map with `<<`.
  const file = write(t, BASE.replace('data: { root: x }', 'data: { root: x, subset: &bad { constructor: { polluted: 1 } } }\nextra_alias: { <<: *bad }'));
  const err = await loadPipeline(file, registry, { env: {} }).then(() => assert.fail('should be refused'), (e: unknown) => e);
  assert.ok(err instanceof ConfigError, String(err));
  assert.match(err.message, /p\.yaml:2:\d+ data\.subset\.constructor: the key 'constructor' is not allowed/);
  assert.match(err.message, /extra_alias\.constructor: the key 'constructor' is not allowed/);

  fs.writeFileSync(file, BASE.replace('stages:\n', 'stages:\n  __proto__: { step: split }\n'));
  const err2 = await loadPipeline(file, registry, { env: {} }).then(() => assert.fail('should be refused'), (e: unknown) => e);
  assert.ok(err2 instanceof ConfigError);
  assert.match(err2.message, /p\.yaml:4:3 stages\.__proto__: the key '__proto__' is not allowed/);
  assertClean();
});

test('non-finite numbers are refused: --set ...lr=.inf, .nan in the file, ${VAR:-.inf}', async (t) => {
  const file = write(t, BASE);
  await assert.rejects(loadPipeline(file, registry, { env: {}, overrides: [parseOverride('stages.grid.with.params.lr=.inf')] }), (e: unknown) =>
    e instanceof ConfigError && e.message.includes('--set stages.grid.with.params.lr=.inf stages.grid.with.params.lr: expected a finite number, got .inf'));
  fs.writeFileSync(file, BASE.replace('folds: 3', 'folds: 3, seed: .nan'));
  await assert.rejects(loadPipeline(file, registry, { env: {} }), (e: unknown) => e instanceof ConfigError && /p\.yaml:4:\d+ stages\.split\.with\.seed: expected a finite number, got \.nan/.test(e.message));
  fs.writeFileSync(file, BASE.replace('lr: 0.01', 'lr: "${LR:--.inf}"'));
  await assert.rejects(loadPipeline(file, registry, { env: {} }), (e: unknown) => e instanceof ConfigError && /stages\.grid\.with\.params\.lr: expected a finite number, got -\.inf/.test(e.message));
  // A finite value still loads.
  const ok = await loadPipeline(file, registry, { env: { LR: '0.5' } });
  assert.ok(ok.stages.length === 3);
});
