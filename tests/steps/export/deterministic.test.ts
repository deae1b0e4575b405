/**
 * Identical models are recognised: the exported ONNX is content in, same bytes out, and its metadata holds content
 * only (no tracking run id: that is in the registry's lineage). The pipeline-level check (two identical trainings
 * register one version) is in tests/e2e/content-keys.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { selectBackend } from '../../../ml/backends/select-backend.ts';
import { getFamily } from '../../../ml/families/index.ts';
import { decodeModel, getMetadata } from '../../../ml/onnx/proto.ts';
import { DEFAULT_PREPROCESS, preprocessingId } from '../../../ml/preprocess/index.ts';
import { sha256 } from '../../../runner/hash.ts';
import { modelMetadata } from '../../../steps/export/model-metadata.ts';
import { backboneFeatureNode, backbonePath } from '../../helpers/paths.ts';

test('two exports of the same trained head give the same sha256; the file holds no run id', async () => {
  const { tf } = await selectBackend('auto', { convTraining: false });
  const head = getFamily('head');
  const spec = { family: 'head', layers: [{ dense: 16, activation: 'relu' }] } as never;
  const model = head.build(tf, spec, { inputDim: 1280, numClasses: 3, seed: 7 });
  const backbone = { bytes: fs.readFileSync(backbonePath), input: 'input', featureNode: backboneFeatureNode };
  const preprocessing = { ...DEFAULT_PREPROCESS, id: preprocessingId(DEFAULT_PREPROCESS) };
  const base = { classes: ['pizza', 'steak', 'sushi'], preprocessing, datasetVersion: 'mini_3c_abcd1234', architecture: 'mlp', family: 'head', testTimeFlip: true, temperature: 1.25 };
  const exportOnce = () => head.toOnnx(model, { backbone, metadata: modelMetadata(base), testTimeFlip: true });
  const first = exportOnce();
  const second = exportOnce();
  assert.equal(sha256(first), sha256(second));
  const meta = getMetadata(decodeModel(first));
  assert.deepEqual(Object.keys(meta).sort(), ['architecture', 'calibration_temperature', 'dataset_version', 'family', 'labels', 'preprocessing', 'test_time_augmentation']);

  // Content still counts: other weights, other bytes.
  const other = head.build(tf, spec, { inputDim: 1280, numClasses: 3, seed: 8 });
  assert.notEqual(sha256(head.toOnnx(other, { backbone, metadata: modelMetadata(base), testTimeFlip: true })), sha256(first));
  model.dispose();
  other.dispose();
});
