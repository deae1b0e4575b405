import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir } from '../../helpers/tmp.ts';
import { backends, openTestStores, type Backend } from '../../helpers/store-backends.ts';
import { exportMlflow } from '../../../stores/mlflow/index.ts';
import { formatValue, keyPath } from '../../../stores/mlflow/layout.ts';
import { StoreError } from '../../../stores/errors.ts';

/** Every file of a tree with its content, and every empty directory (as `dir/`). */
function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.length === 0) out[`${path.relative(root, dir)}/`] = '';
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** 1 experiment, a parent run and a child run (metric series, params, tags, an artifact), 1 model with 2 versions. */
async function buildStores(t: TestContext, backend: Backend) {
  const dir = tempDir(t);
  let now = 1_700_000_000_000;
  const stores = await openTestStores(t, await backend.url(t), { registryDir: path.join(dir, 'registry'), now: () => now });
  const exp = await stores.tracking.getOrCreateExperiment('food101-mini_13c_tr75_te25_abcd1234', { dataset: 'food101-mini' });
  const parent = await stores.tracking.startRun({ experimentId: exp.id, name: 'grid' });
  now += 1000;
  const child = await stores.tracking.startRun({
    experimentId: exp.id, name: 'mlp_c1_fold1', parentRunId: parent,
    params: { lr: 0.001, epochs: 2 }, tags: { architecture: 'mlp', fold: '1', combination: 'c1' },
  });
  await stores.tracking.logMetrics(child, [
    { key: 'train_loss', value: 1.5, step: 0, timestamp: now + 100 },
    { key: 'val_acc', value: 0.5, step: 0, timestamp: now + 100 },
    { key: 'train_loss', value: 0.75, step: 1, timestamp: now + 200 },
    { key: 'val_acc', value: 0.625, step: 1, timestamp: now + 200 },
    { key: 'test/accuracy', value: 1, step: 0, timestamp: now + 300 },
  ]);
  fs.mkdirSync(path.join(dir, 'outputs', 'runs'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'outputs', 'runs', 'curves.png'), 'png bytes');
  await stores.tracking.logArtifact(child, { path: 'outputs/runs/curves.png', sha256: createHash('sha256').update('png bytes').digest('hex'), size: 9 });
  now += 5000;
  await stores.tracking.endRun(child, 'finished', { metrics: [{ key: 'train_time_sec', value: 4.25, step: 0 }] });
  await stores.tracking.endRun(parent, 'finished');

  const src = path.join(dir, 'export');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'model.onnx'), 'onnx');
  fs.writeFileSync(path.join(src, 'labels.json'), '[]');
  now += 1000;
  await stores.registry.register({ name: 'food101', sourceDir: src, lineage: { run_id: child, dataset_version: 'mini' }, metrics: { 'test.accuracy': 0.7 } });
  now += 1000;
  await stores.registry.register({ name: 'food101', sourceDir: src, metrics: { 'test.accuracy': 0.8 } });
  return { dir, stores, parent, child, now: () => now };
}

for (const backend of backends) {
  const name = (s: string) => `${backend.name}: ${s}`;

  test(name('exports experiments, runs and registered models in MLflow file-store layout'), async (t) => {
    const { dir, stores, parent, child, now } = await buildStores(t, backend);
    const out = path.join(dir, 'mlruns');
    const summary = await exportMlflow(stores, out, { artifactRoot: dir, userId: 'tester', now });
    assert.deepEqual(summary, { outDir: out, experiments: 2, runs: 2, models: 1, versions: 2, missingArtifacts: [] });

    const sha = createHash('sha256').update('onnx').digest('hex');
    const reg = path.join(dir, 'registry');
    const expected: Record<string, string> = {
      '.trash/': '',
      '0/meta.yaml': `artifact_location: file://${out}/0
creation_time: 1700000008000
experiment_id: '0'
last_update_time: 1700000008000
lifecycle_stage: active
name: Default
`,
      '1/meta.yaml': `artifact_location: file://${out}/1
creation_time: 1700000000000
experiment_id: '1'
last_update_time: 1700000001000
lifecycle_stage: active
name: food101-mini_13c_tr75_te25_abcd1234
`,
      '1/tags/dataset': 'food101-mini',
      [`1/${parent}/meta.yaml`]: `artifact_uri: file://${out}/1/${parent}/artifacts
end_time: 1700000006000
entry_point_name: ''
experiment_id: '1'
lifecycle_stage: active
run_id: ${parent}
run_name: grid
run_uuid: ${parent}
source_name: ''
source_type: 4
source_version: ''
start_time: 1700000000000
status: 3
tags: []
user_id: tester
`,
      [`1/${parent}/artifacts/`]: '',
      [`1/${parent}/metrics/`]: '',
      [`1/${parent}/params/`]: '',
      [`1/${parent}/tags/mlflow.runName`]: 'grid',
      [`1/${parent}/tags/mlflow.user`]: 'tester',
      [`1/${child}/meta.yaml`]: `artifact_uri: file://${out}/1/${child}/artifacts
end_time: 1700000006000
entry_point_name: ''
experiment_id: '1'
lifecycle_stage: active
run_id: ${child}
run_name: mlp_c1_fold1
run_uuid: ${child}
source_name: ''
source_type: 4
source_version: ''
start_time: 1700000001000
status: 3
tags: []
user_id: tester
`,
      [`1/${child}/artifacts/outputs/runs/curves.png`]: 'png bytes',
      [`1/${child}/metrics/test/accuracy`]: '1700000001300 1.0 0\n',
      [`1/${child}/metrics/train_loss`]: '1700000001100 1.5 0\n1700000001200 0.75 1\n',
      [`1/${child}/metrics/train_time_sec`]: '1700000006000 4.25 0\n',
      [`1/${child}/metrics/val_acc`]: '1700000001100 0.5 0\n1700000001200 0.625 1\n',
      [`1/${child}/params/epochs`]: '2',
      [`1/${child}/params/lr`]: '0.001',
      [`1/${child}/tags/architecture`]: 'mlp',
      [`1/${child}/tags/combination`]: 'c1',
      [`1/${child}/tags/fold`]: '1',
      [`1/${child}/tags/mlflow.parentRunId`]: parent,
      [`1/${child}/tags/mlflow.runName`]: 'mlp_c1_fold1',
      [`1/${child}/tags/mlflow.user`]: 'tester',
      'models/food101/meta.yaml': `aliases:
  challenger: '2'
  champion: '1'
creation_timestamp: 1700000007000
description: null
last_updated_timestamp: 1700000008000
name: food101
`,
      'models/food101/aliases/champion': '1',
      'models/food101/aliases/challenger': '2',
      'models/food101/version-1/meta.yaml': `aliases: []
creation_timestamp: 1700000007000
current_stage: None
description: model.onnx sha256 ${sha}
last_updated_timestamp: 1700000007000
name: food101
run_id: ${child}
run_link: null
source: file://${reg}/food101/v1
status: READY
status_message: null
storage_location: file://${reg}/food101/v1
user_id: null
version: 1
`,
      'models/food101/version-1/tags/sha256': sha,
      'models/food101/version-1/tags/lineage.run_id': child,
      'models/food101/version-1/tags/lineage.dataset_version': 'mini',
      'models/food101/version-1/tags/metric.test.accuracy': '0.7',
      'models/food101/version-2/meta.yaml': `aliases: []
creation_timestamp: 1700000008000
current_stage: None
description: model.onnx sha256 ${sha}
last_updated_timestamp: 1700000008000
name: food101
run_id: null
run_link: null
source: file://${reg}/food101/v2
status: READY
status_message: null
storage_location: file://${reg}/food101/v2
user_id: null
version: 2
`,
      'models/food101/version-2/tags/sha256': sha,
      'models/food101/version-2/tags/metric.test.accuracy': '0.8',
    };
    const actual = readTree(out);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
    for (const [file, content] of Object.entries(expected)) assert.equal(actual[file], content, file);
  });

  test(name('refuses to overwrite a non-empty directory unless asked; reports artifacts whose file is gone'), async (t) => {
    const { dir, stores, child, now } = await buildStores(t, backend);
    const out = path.join(dir, 'mlruns');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'precious.txt'), 'keep');
    await assert.rejects(exportMlflow(stores, out, { userId: 'u', now }), (err: unknown) =>
      err instanceof StoreError && err.code === 'MLFLOW_EXPORT_TARGET_EXISTS');
    assert.ok(fs.existsSync(path.join(out, 'precious.txt')));

    fs.rmSync(path.join(dir, 'outputs'), { recursive: true });
    const summary = await exportMlflow(stores, out, { artifactRoot: dir, userId: 'u', now, overwrite: true });
    assert.deepEqual(summary.missingArtifacts, [`${child}: ${path.join(dir, 'outputs/runs/curves.png')}`]);
    assert.ok(!fs.existsSync(path.join(out, 'precious.txt')));
    assert.ok(fs.existsSync(path.join(out, '1', child, 'meta.yaml')));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary tree left');
  });
}

test('metric keys become safe relative paths; values print like Python floats', () => {
  assert.equal(keyPath('test.macro_f1'), 'test.macro_f1');
  assert.equal(keyPath('per_class/pizza/recall'), 'per_class/pizza/recall');
  assert.equal(keyPath('../../etc/passwd'), '_/_/etc/passwd');
  assert.equal(keyPath('/abs//x'), '_/abs/_/x');
  assert.equal(keyPath('weird?*key'), 'weird__key');
  assert.deepEqual([1, 0.75, Number.NaN, Infinity, -Infinity, 1e-7, -3].map(formatValue), ['1.0', '0.75', 'nan', 'inf', '-inf', '1e-7', '-3.0']);
});
