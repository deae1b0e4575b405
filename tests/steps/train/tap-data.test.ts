import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { featureSpace } from '../../../ml/features/extract.ts';
import { backboneFeatureId } from '../../../ml/onnx/backbone.ts';
import { dequantizeRows, openTap, tapSpace } from '../../../ml/features/tap.ts';
import { DEFAULT_PREPROCESS, preprocess } from '../../../ml/preprocess/index.ts';
import { SqlFeatureStore } from '../../../stores/feature-store.ts';
import type { FeaturesResult } from '../../../steps/features/features-result.ts';
import { toCsv } from '../../../steps/split/manifest.ts';
import type { SplitResult } from '../../../steps/split/split-result.ts';
import { TapData, viewsFromNames } from '../../../steps/train/tap-data.ts';
import { backbonePath, backboneSha256, miniDataDir } from '../../helpers/paths.ts';
import { backends, openClient } from '../../helpers/store-backends.ts';
import { tempDir } from '../../helpers/tmp.ts';

test('dequantizeRows turns packed NCHW bytes into (q - zero_point) * scale, NHWC', () => {
  // 2 channels x 3 positions; bytes 0x7f80_0001 as one float32 slot are a signalling NaN: packing must keep bytes.
  const bytes = new Uint8Array([1, 0, 128, 127, 200, 9, 0, 0]);
  const packed = new Float32Array(bytes.buffer);
  const tail = { from: { tensor: 't', scale: 0.5, zeroPoint: 1, scaleName: 's', zeroPointName: 'z', channels: 2 }, convs: [], pooledDim: 0 };
  const out = dequantizeRows(packed, 1, { channels: 2, positions: 3, dim: 2, tail });
  // NCHW [c0: 1, 0, 128][c1: 127, 200, 9] -> NHWC [(1,127), (0,200), (128,9)]
  assert.deepEqual(Array.from(out), [0, 63, -0.5, 99.5, 63.5, 4]);
});

test('viewsFromNames re-creates the features stage views and refuses names it cannot', () => {
  assert.deepEqual(viewsFromNames(['center', 'flip', 'crop1', 'crop2']), { flip: true, crops: 2 });
  assert.deepEqual(viewsFromNames(['center']), { flip: false, crops: 0 });
  assert.throws(() => viewsFromNames(['center', 'crop2']), /cannot re-create the views \[center, crop2\]/);
});

for (const backend of backends) {
  test(`${backend.name}: the tapped tensors are extracted once into their own feature space, quantized, and load as float NHWC`, async (t) => {
    const db = await openClient(t, await backend.url(t));
    const store = new SqlFeatureStore(db);
    const dir = tempDir(t);
    const root = path.join(miniDataDir, 'images');
    const cls = fs.readdirSync(root).sort()[0]!;
    const files = fs.readdirSync(path.join(root, cls)).sort().slice(0, 3);
    const entries = files.map((f) => ({ path: `${cls}/${f}`, className: cls, sha256: createHash('sha256').update(fs.readFileSync(path.join(root, cls, f))).digest('hex') }));
    fs.writeFileSync(path.join(dir, 'train.csv'), toCsv(entries.slice(0, 2)));
    fs.writeFileSync(path.join(dir, 'test.csv'), toCsv(entries.slice(2)));
    const split = { dir, root, classes: [cls] } as unknown as SplitResult;
    // The space the features stage names: the file and its feature node (not the bare file sha256).
    const featureId = backboneFeatureId(backboneSha256, { tensor: '472_quantized', scale: '464_scale', zeroPoint: '464_zero_point' });
    assert.notEqual(featureId, backboneSha256);
    const features = { space: featureSpace(featureId, DEFAULT_PREPROCESS), views: ['center', 'flip'], tta: ['center', 'flip'], preprocessing: DEFAULT_PREPROCESS, failed: [] } as unknown as FeaturesResult;
    const logs: string[] = [];
    const data = new TapData(split, features, store, { path: backbonePath, sha256: backboneSha256, input: 'input', threads: 2 }, (m) => logs.push(m));

    const shape = await data.shape('624_quantized');
    assert.deepEqual([shape.positions, shape.channels, shape.dim], [49, 320, 49 * 320 / 4]);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /tap '624_quantized': 6 tensors extracted \(49 x 320 uint8 each\), 0 reused/);
    // Its own space: the pooled features' space holds nothing.
    const space = tapSpace(features.space, '624_quantized');
    assert.deepEqual(await store.missing(space, [{ imageSha256: entries[0]!.sha256, view: 'flip' }]), []);
    assert.equal((await store.missing(features.space, [{ imageSha256: entries[0]!.sha256, view: 'center' }])).length, 1);

    // A second TapData on the same store extracts nothing.
    const again = new TapData(split, features, store, { path: backbonePath, sha256: backboneSha256, input: 'input' }, (m) => logs.push(m));
    await again.shape('624_quantized');
    assert.equal(logs.length, 1);

    // Training rows: one per view; evaluation rows: the mean of the test-time views; both equal the tap's own output.
    const tap = await openTap(fs.readFileSync(backbonePath), { sha256: backboneSha256, input: 'input', from: '624_quantized' });
    t.after(() => tap.dispose());
    const image = await preprocess(path.join(root, entries[2]!.path), DEFAULT_PREPROCESS);
    const direct = await tap.floatFeatures(image, 1);
    const train = await data.load('624_quantized', entries.slice(0, 2), true);
    assert.equal(train.length, 4 * 49 * 320);
    const test = await data.load('624_quantized', entries.slice(2), false);
    assert.equal(test.length, 49 * 320);
    const flip = (await store.load(space, [{ imageSha256: entries[2]!.sha256, view: 'flip' }])).data;
    const flipRows = dequantizeRows(flip, 1, shape);
    let max = 0;
    for (let i = 0; i < direct.length; i++) max = Math.max(max, Math.abs(test[i]! - (direct[i]! + flipRows[i]!) / 2));
    assert.ok(max < 1e-6, `eval row = mean of centre and flip (max diff ${max})`);
  });
}
