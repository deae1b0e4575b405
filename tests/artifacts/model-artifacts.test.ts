/** A model version's files through the artifact store: content-addressed keys, the lineage record, materialising. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ArtifactCache, ArtifactError, materializeModel, modelArtifactsOf, openArtifactStore, putModelFiles } from '../../artifacts/index.ts';
import { tempDir } from '../helpers/tmp.ts';

function modelDir(root: string, onnx: string): string {
  const dir = path.join(root, `model-${onnx}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), onnx);
  fs.writeFileSync(path.join(dir, 'labels.json'), '["pizza","sushi"]');
  fs.writeFileSync(path.join(dir, 'preprocessing.json'), '{"crop":224}');
  return dir;
}

test('putModelFiles: keys by the model file\'s sha256, a record that survives JSON, and a cache directory to load from', async (t) => {
  const root = tempDir(t, 'model-artifacts-');
  const store = await openArtifactStore('file:store', { workdir: root, env: {} });
  const a = await putModelFiles(store, { model: 'food101', dir: modelDir(root, 'AAA') });
  assert.equal(a.store, store.url);
  assert.deepEqual(Object.keys(a.files), ['model.onnx', 'labels.json', 'preprocessing.json']);
  const modelSha = a.files['model.onnx']!.sha256;
  assert.equal(a.files['labels.json']!.uri, store.uriOf(`models/food101/${modelSha}/labels.json`));
  assert.equal(a.files['labels.json']!.bytes, 17);
  assert.deepEqual(await putModelFiles(store, { model: 'food101', dir: modelDir(root, 'AAA') }), a, 'the same model, the same objects');
  const b = await putModelFiles(store, { model: 'food101', dir: modelDir(root, 'BBB') });
  assert.notEqual(b.files['model.onnx']!.uri, a.files['model.onnx']!.uri);
  assert.equal((await store.list('models/food101/')).length, 6);

  const lineage = JSON.parse(JSON.stringify({ dataset_version: 'x', artifacts: a })) as Record<string, unknown>;
  assert.deepEqual(modelArtifactsOf(lineage), a);
  assert.equal(modelArtifactsOf({ dataset_version: 'x' }), undefined);
  assert.equal(modelArtifactsOf({ artifacts: { store: 's3://b', files: { 'model.onnx': { uri: 3 } } } }), undefined);

  const dir = await materializeModel(a, new ArtifactCache({ dir: path.join(root, 'cache'), ctx: { workdir: root, env: {} } }));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['labels.json', 'model.onnx', 'preprocessing.json']);
  assert.equal(fs.readFileSync(path.join(dir, 'model.onnx'), 'utf8'), 'AAA');

  const partial = modelDir(root, 'CCC');
  fs.rmSync(path.join(partial, 'preprocessing.json'));
  await assert.rejects(putModelFiles(store, { model: 'food101', dir: partial }), (e: ArtifactError) =>
    e.code === 'ARTIFACT_NOT_FOUND' && e.message.includes('preprocessing.json') && e.message.includes('run the export stage'));
});
