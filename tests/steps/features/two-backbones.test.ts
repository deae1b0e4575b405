/**
 * Backbones as data: two pipelines that differ only in their `backbone:` section (the int8 MobileNetV2, and a float
 * model generated from it whose feature node is an NCHW map pooled at load time) build two feature spaces from the
 * same photos, and the float one trains, exports (parity-checked) and scores like a real backbone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { featureSpace } from '../../../ml/features/extract.ts';
import { backboneFeatureId } from '../../../ml/onnx/backbone.ts';
import { DEFAULT_PREPROCESS } from '../../../ml/preprocess/index.ts';
import { openStores } from '../../../stores/index.ts';
import { sha256 } from '../../../lib/hash.ts';
import { runCli } from '../../helpers/cli.ts';
import { floatFeatureMap, writeFloatBackbone } from '../../helpers/float-backbone.ts';
import { backboneFeatureNode, backbonePath, backboneSha256, miniDataDir } from '../../helpers/paths.ts';
import { tempDir } from '../../helpers/tmp.ts';

const CLASSES = ['pizza', 'steak', 'sushi'];

function pipeline(backbone: string): string {
  return `name: backbones
data:
  root: ${JSON.stringify(miniDataDir)}
  subset: { classes: [${CLASSES.join(', ')}], fraction: 0.3, seed: 1 }
${backbone}
architectures:
  linear: { family: head, layers: [] }
stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features, with: { tta: { flip: true } } }
  grid: { step: grid, with: { architectures: [linear], params: { lr: 0.01, epochs: 8, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { winner_by: test.accuracy } }
  export: { step: export, with: { parity_images: 2 } }
`;
}

test('two backbones, switched by the backbone section alone, give two sensible feature spaces', async (t) => {
  const dir = tempDir(t, 'f101-backbones-');
  const float = writeFloatBackbone(dir);
  const int8Section = `backbone:\n  path: ${JSON.stringify(backbonePath)}\n  sha256: ${backboneSha256}\n  feature_node: { tensor: 472_quantized, scale: 464_scale, zero_point: 464_zero_point }`;
  const floatSection = `backbone:\n  path: ${JSON.stringify(float.path)}\n  sha256: ${float.sha256}\n  feature_node: { tensor: '${floatFeatureMap.tensor}' }`;
  fs.writeFileSync(path.join(dir, 'int8.yaml'), pipeline(int8Section));
  fs.writeFileSync(path.join(dir, 'float.yaml'), pipeline(floatSection));

  const first = runCli(['run', 'int8.yaml', '--until', 'features'], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const second = runCli(['run', 'float.yaml', '--until', 'export'], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  const computed = (s: string) => Number(/(\d+) vectors computed, (\d+) reused/.exec(s)?.[1]);
  assert.ok(computed(first.stderr) > 0);
  assert.equal(computed(second.stderr), computed(first.stderr), 'the float backbone is a new feature space: nothing is reused');
  assert.match(second.stderr, /parity: max \|onnx - tfjs\| = /);
  const summary = JSON.parse(fs.readFileSync(path.join(dir, 'outputs', 'metrics', 'summary.json'), 'utf8'));
  assert.ok(summary.winner.test.accuracy > 0.6, `test accuracy ${summary.winner.test.accuracy} on ${CLASSES.join('/')} with the float backbone`);

  // The same photos' centre views in both spaces: finite, 1280-d, close but distinct.
  const photos = CLASSES.flatMap((c) => fs.readdirSync(path.join(miniDataDir, 'images', c)).map((f) => sha256(fs.readFileSync(path.join(miniDataDir, 'images', c, f)))));
  const stores = await openStores({ url: path.join(dir, 'experiments', 'mlops.db'), registryDir: path.join(dir, 'experiments', 'registry'), mustExist: true });
  try {
    const spaces = [featureSpace(backboneFeatureId(backboneSha256, backboneFeatureNode), DEFAULT_PREPROCESS), featureSpace(backboneFeatureId(float.sha256, floatFeatureMap), DEFAULT_PREPROCESS)];
    const keys = photos.map((imageSha256) => ({ imageSha256, view: 'center' }));
    const missing = new Set((await stores.features.missing(spaces[0]!, keys)).map((k) => k.imageSha256));
    const stored = keys.filter((k) => !missing.has(k.imageSha256));
    assert.ok(stored.length >= 20, `${stored.length} photos with features`);
    const [a, b] = await Promise.all(spaces.map((s) => stores.features.load(s, stored)));
    assert.equal(a!.dim, 1280);
    assert.equal(b!.dim, 1280);
    assert.ok(b!.data.every(Number.isFinite));
    let same = 0;
    for (let r = 0; r < stored.length; r++) {
      const row = (x: Float32Array) => x.subarray(r * 1280, (r + 1) * 1280);
      const [u, v] = [row(a!.data), row(b!.data)];
      let dot = 0, nu = 0, nv = 0;
      for (let i = 0; i < 1280; i++) (dot += u[i]! * v[i]!), (nu += u[i]! ** 2), (nv += v[i]! ** 2);
      assert.ok(dot / Math.sqrt(nu * nv) > 0.95, `photo ${r}: cosine ${dot / Math.sqrt(nu * nv)} between the two backbones`);
      if (u.every((x, i) => x === v[i])) same++;
    }
    assert.equal(same, 0, 'no photo has identical features under both backbones');
  } finally {
    await stores.close();
  }
});
