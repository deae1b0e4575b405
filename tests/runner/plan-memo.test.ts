/**
 * `plan` computes each stage's key once per invocation: a stage's status needs its upstream stages' statuses, and
 * without a memo the upstream inputs were listed and hashed again for every stage below them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadPipeline } from '../../runner/config/load.ts';
import { Engine } from '../../runner/engine.ts';
import { LogSink } from '../../runner/logger.ts';
import { Terminal } from '../../runner/terminal.ts';
import { product } from '../../app/product.ts';
import { registry } from '../../steps/index.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

test('plan hashes each stage\'s inputs once, however many stages depend on it', async (t) => {
  const dir = tempDir(t, 'f101-memo-');
  for (const f of ['counting-step.ts', 'chained-step.ts']) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const d of ['src', 'a', 'b', 'c']) {
    fs.mkdirSync(path.join(dir, d));
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, d, `${i}.txt`), `${d}${i}`);
  }
  const stages = ['  src: { step: ./counting-step.ts, with: { input: src } }', ...['a', 'b', 'c'].map((s) => `  ${s}: { step: ./chained-step.ts, with: { input: ${s} } }`)];
  fs.writeFileSync(path.join(dir, 'pipeline.yaml'), ['name: memo', 'data: { root: . }', 'stages:', ...stages, ''].join('\n'));
  const ran = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(ran.code, 0, ran.stderr);

  const config = await loadPipeline(path.join(dir, 'pipeline.yaml'), registry, { env: {}, lenientSteps: true });
  const { calls } = (await import(pathToFileURL(path.join(dir, 'counting-step.ts')).href)) as { calls: Record<string, number> };
  const services = await product.openServices(config);
  const engine = new Engine(config, new LogSink(new Terminal()), services);
  try {
    for (const stage of config.stages) assert.equal((await engine.status(stage)).kind, 'cached', stage.name);
  } finally {
    await services.close();
  }
  assert.deepEqual(calls, { src: 1, a: 1, b: 1, c: 1 });
});
