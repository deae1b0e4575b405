import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackboneHashError, loadBackbone, type Backbone } from '../../../ml/onnx/backbone.ts';
import { sha256File } from '../../../lib/hash.ts';
import { DEFAULT_PREPROCESS, preprocess } from '../../../ml/preprocess/index.ts';
import { backboneFeatureNode, backbonePath, backboneSha256 } from '../../helpers/paths.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { argmax, photos } from './fixtures.ts';

describe('loadBackbone', () => {
  let backbone: Backbone;
  before(async () => {
    backbone = await loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
  });
  after(() => backbone?.dispose());

  it('exposes 1280-d features and the original 1000-class logits', async () => {
    assert.equal(backbone.dim, 1280);
    assert.equal(backbone.inputName, 'input');
    assert.deepEqual(backbone.itemDims, [3, 224, 224]);
    const files = photos(1).slice(0, 3);
    const batch = new Float32Array(3 * 3 * 224 * 224);
    for (const [i, f] of files.entries()) batch.set(await preprocess(f, DEFAULT_PREPROCESS), i * 3 * 224 * 224);
    const feats = await backbone.features(batch, 3);
    assert.equal(feats.length, 3 * 1280);
    assert.ok(feats.every((v) => Number.isFinite(v) && v >= 0), 'features after ReLU6 + average pool are >= 0');
    assert.ok(feats.some((v) => v > 0));
    const logits = await backbone.logits(batch, 3);
    assert.equal(logits.length, 3 * 1000);
    // Batched and single runs agree.
    const one = await backbone.features(batch.subarray(3 * 224 * 224, 2 * 3 * 224 * 224), 1);
    assert.deepEqual(one, feats.subarray(1280, 2560));
  });

  it('classifies a pizza photo as ImageNet 963 (pizza)', async () => {
    const pizza = photos(1).find((f) => f.includes(`${path.sep}pizza${path.sep}`))!;
    const logits = await backbone.logits(await preprocess(pizza, DEFAULT_PREPROCESS), 1);
    assert.equal(argmax(logits), 963);
  });

  it('streams the sha256 of a file', async () => {
    assert.equal(await sha256File(backbonePath), backboneSha256);
  });
});

describe('loadBackbone errors', () => {
  it('names the file, both hashes and what to do on a sha256 mismatch', async (t) => {
    const dir = tempDir(t);
    const copy = path.join(dir, 'backbone.onnx');
    const bytes = fs.readFileSync(backbonePath);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(copy, bytes);
    const actual = await sha256File(copy);
    await assert.rejects(loadBackbone({ path: copy, sha256: backboneSha256, featureNode: backboneFeatureNode }), (err: unknown) => {
      assert.ok(err instanceof BackboneHashError);
      assert.equal(err.code, 'BACKBONE_SHA256_MISMATCH');
      assert.equal(
        err.message,
        `backbone ${copy}: sha256 mismatch: expected ${backboneSha256}, got ${actual}. ` +
          'This file is not the model the pipeline names (partial download, another version, or edited). ' +
          'Fetch the original again (see ../shared/models/README.md for its source), or if you mean to switch backbones, ' +
          'set backbone.sha256 in the pipeline file to the new hash (its features form a new feature space).',
      );
      return true;
    });
  });

  it('says which file is missing', async () => {
    await assert.rejects(
      loadBackbone({ path: '/nowhere/model.onnx', sha256: backboneSha256, featureNode: backboneFeatureNode }),
      /backbone \/nowhere\/model\.onnx: cannot read it .*BACKBONE_ONNX/,
    );
  });

  it('names a feature-node tensor the graph lacks', async () => {
    await assert.rejects(
      loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: { ...backboneFeatureNode, tensor: '999_quantized' } }),
      /feature_node names tensors the graph does not have: tensor '999_quantized'\./,
    );
  });
});
