/**
 * The same small pipeline (3 classes, half the mini photos) to register on SQLite and on PostgreSQL (when
 * MLOPS_TEST_POSTGRES_URL is set; CI always sets it): the same winner and metrics, and `registry list` /
 * `runs list` read them back from PostgreSQL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { smallPipelineHead } from '../helpers/small-pipeline.ts';
import { backends } from '../helpers/store-backends.ts';
import { tempDir } from '../helpers/tmp.ts';

const PIPELINE = `${smallPipelineHead('parity', 0.5)}store:
  url: "\${MLOPS_STORE_URL:-sqlite:experiments/mlops.db}"
stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features, with: { views: { flip: true } } }
  grid: { step: grid, with: { architectures: [linear], params: { lr: [0.01, 0.003], epochs: 6, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { winner_by: test.accuracy, refit: false } }
  export: { step: export, with: { parity_images: 4 } }
  register: { step: register, with: { model: parity_model } }
`;

interface Listed { name: string; versions: { version: number; aliases: string[]; lineage: Record<string, unknown>; metrics: Record<string, number> }[] }

test(`the pipeline to register gives the same winner on ${backends.map((b) => b.name).join(' and ')}`, { timeout: 900_000 }, async (t) => {
  const outcomes: { backend: string; combination: unknown; metrics: Record<string, number>; runs: { name: string; val_acc: number }[] }[] = [];
  for (const backend of backends) {
    const dir = tempDir(t, `f101-parity-${backend.name}-`);
    fs.writeFileSync(path.join(dir, 'pipeline.yaml'), PIPELINE);
    const env = { MLOPS_STORE_URL: backend.name === 'sqlite' ? '' : await backend.url(t) };
    const run = runCli(['run', 'pipeline.yaml', '--until', 'register', '-v'], { cwd: dir, env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, backend.name === 'sqlite' ? /store: sqlite:/ : /store: postgres:\/\/postgres:\*\*\*@/);
    if (backend.name !== 'sqlite') assert.equal(fs.existsSync(path.join(dir, 'experiments', 'mlops.db')), false, 'nothing went to SQLite');

    const list = runCli(['registry', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
    assert.equal(list.code, 0, list.stderr);
    const [model] = JSON.parse(list.stdout) as Listed[];
    assert.equal(model.name, 'parity_model');
    assert.deepEqual(model.versions.map((v) => v.aliases), [['champion']]);
    const runs = JSON.parse(runCli(['runs', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env }).stdout) as { name: string; status: string; metrics: Record<string, { value: number }> }[];
    const grid = runs.filter((r) => /^linear_c\d_fold\d$/.test(r.name));
    assert.equal(grid.length, 4);
    assert.ok(grid.every((r) => r.status === 'finished'));
    outcomes.push({
      backend: backend.name,
      combination: model.versions[0].lineage.combination,
      metrics: model.versions[0].metrics,
      runs: grid.map((r) => ({ name: r.name, val_acc: r.metrics.val_acc.value })).sort((a, b) => a.name.localeCompare(b.name)),
    });
  }
  for (const o of outcomes.slice(1)) {
    assert.equal(o.combination, outcomes[0].combination, `${o.backend} picked the same combination as ${outcomes[0].backend}`);
    assert.deepEqual(o.metrics, outcomes[0].metrics, `${o.backend}: same test metrics`);
    assert.deepEqual(o.runs, outcomes[0].runs, `${o.backend}: same validation accuracy per run`);
  }
});
