/**
 * The pipeline end to end on a small part of the mini data set (3 classes, half the photos), through the real
 * CLI: split -> features -> grid -> train -> aggregate -> export -> register; then a changed hyperparameter
 * registers a challenger, and promote / rollback move the aliases as the registry contract says.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { decodeModel, getMetadata } from '../../ml/onnx/proto.ts';
import { runCli } from '../helpers/cli.ts';
import { smallPipelineHead } from '../helpers/small-pipeline.ts';
import { tempDir } from '../helpers/tmp.ts';

function pipeline(dir: string): string {
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(
    file,
    `${smallPipelineHead('e2e', 0.5)}stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features, with: { views: { flip: true } } }
  grid: { step: grid, with: { architectures: [linear], params: { lr: 0.01, epochs: 8, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { baseline: linear } }
  export: { step: export, with: { parity_images: 4 } }
  register: { step: register, with: { model: e2e_model } }
`,
  );
  return file;
}

function registry(dir: string): { name: string; versions: { version: number; aliases: string[]; lineage: Record<string, unknown>; metrics: Record<string, number> }[] }[] {
  const r = runCli(['registry', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function aliases(dir: string): Record<string, number> {
  return registry(dir)[0].versions.reduce<Record<string, number>>((acc, v) => {
    for (const a of v.aliases) acc[a] = v.version;
    return acc;
  }, {});
}

test('split to register, then a challenger, promote and rollback', async (t) => {
  const dir = tempDir(t, 'f101-e2e-');
  pipeline(dir);
  const first = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);

  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'outputs', 'metrics', 'summary.json'), 'utf8'));
  assert.equal(summary.winner.architecture, 'linear');
  assert.equal(summary.winner.refit, true);
  assert.ok(summary.winner.test.accuracy > 0.6, `test accuracy ${summary.winner.test.accuracy} on pizza/steak/sushi`);
  assert.equal(summary.evaluations.length, 1);
  // Chosen on the validation folds by default; test reported with its interval; calibrated on out-of-fold logits.
  assert.deepEqual(summary.winner.selectedBy, { metric: 'cv.accuracy', higherIsBetter: true, value: summary.winner.cv.accuracy, onTest: false, baselineRule: false });
  assert.equal(summary.crossValidation.linear_c1.folds, 2);
  const ci = summary.winner.testAccuracyInterval;
  assert.ok(ci.lower <= summary.winner.test.accuracy && summary.winner.test.accuracy <= ci.upper && ci.n === summary.winner.test.n);
  const calibration = summary.winner.calibration;
  assert.ok(calibration.temperature > 0 && calibration.fittedOn > 0 && calibration.ece.after >= 0 && calibration.ece.after <= 1);
  assert.deepEqual([summary.baseline.architecture, summary.baseline.margin.cv_accuracy], ['linear', 0]);
  const report = fs.readFileSync(path.join(dir, 'outputs', 'report.md'), 'utf8');
  assert.match(report, /Chosen on the validation folds \(`cv.accuracy`\)/);
  assert.match(report, /\| accuracy \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ \| \[[0-9.]+, [0-9.]+\] \|/);
  assert.match(report, /expected calibration error \(15 bins\)/);
  const exported = getMetadata(decodeModel(fs.readFileSync(path.join(dir, 'outputs', 'model', 'model.onnx'))));
  assert.equal(Number(exported.calibration_temperature), calibration.temperature);

  const session = await ort.InferenceSession.create(path.join(dir, 'outputs', 'model', 'model.onnx'));
  assert.deepEqual(session.inputNames, ['images']);
  // The second output carries the penultimate features for monitoring (the server logs their projection).
  assert.deepEqual(session.outputNames, ['logits', 'features']);
  const out = await session.run({ images: new ort.Tensor('float32', new Float32Array(2 * 3 * 224 * 224), [2, 3, 224, 224]) });
  assert.deepEqual(out.logits.dims, [2, 3]);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'outputs', 'model', 'labels.json'), 'utf8')), ['pizza', 'steak', 'sushi']);

  const [model] = registry(dir);
  assert.equal(model.name, 'e2e_model');
  assert.deepEqual(model.versions[0].aliases, ['champion']);
  assert.equal(model.versions[0].lineage.dataset_version, summary.datasetVersion);
  assert.equal(model.versions[0].lineage.run_id, summary.winner.runId);
  assert.equal(model.versions[0].metrics['test.accuracy'], summary.winner.test.accuracy);

  const runs = JSON.parse(runCli(['runs', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir }).stdout) as {
    name: string;
    status: string;
    series: Record<string, { step: number; value: number }[]>;
  }[];
  const gridRuns = runs.filter((r) => /^linear_c1_fold\d$/.test(r.name));
  assert.deepEqual(gridRuns.map((r) => r.status), ['finished', 'finished']);
  for (const r of gridRuns) {
    for (const key of ['train_loss', 'train_acc', 'val_loss', 'val_acc']) assert.equal(r.series[key]?.length, 8, `${r.name} ${key} has one point per epoch`);
    assert.equal(r.series.train_time_sec?.length, 1);
  }

  // Nothing changed: everything is cached, nothing registered again.
  const again = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.match(again.stderr, /0 ran, 7 cached/);

  const changed = runCli(['run', 'pipeline.yaml', '--set', 'stages.grid.with.params.lr=0.003'], { cwd: dir });
  assert.equal(changed.code, 0, changed.stderr);
  assert.match(changed.stderr, /split\s+cached/);
  assert.match(changed.stderr, /features\s+cached/);
  assert.deepEqual(aliases(dir), { champion: 1, challenger: 2 });

  const refused = runCli(['registry', 'promote', 'e2e_model', '--min-delta', '1', '--pipeline', 'pipeline.yaml'], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--force/);
  assert.deepEqual(aliases(dir), { champion: 1, challenger: 2 });

  const promoted = runCli(['registry', 'promote', 'e2e_model', '--force', '--pipeline', 'pipeline.yaml'], { cwd: dir });
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.deepEqual(aliases(dir), { champion: 2, prev_champion: 1 });

  const rolled = runCli(['registry', 'rollback', 'e2e_model', '--pipeline', 'pipeline.yaml'], { cwd: dir });
  assert.equal(rolled.code, 0, rolled.stderr);
  assert.deepEqual(aliases(dir), { champion: 1, challenger: 2 });
});
