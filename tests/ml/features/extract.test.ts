import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extractFeatures, featureSpace, wantedKeys, type ExtractImage, type ExtractOptions } from '../../../ml/features/extract.ts';
import type { FeatureKey, FeatureRow, FeatureSpace, FeatureStorePort } from '../../../ml/features/feature-store-port.ts';
import { loadBackbone, type Backbone } from '../../../ml/onnx/backbone.ts';
import { DEFAULT_PREPROCESS, preprocess, preprocessViews, viewsOfBatch } from '../../../ml/preprocess/index.ts';
import { backboneFeatureNode, backbonePath, backboneSha256, miniDataDir } from '../../helpers/paths.ts';
import { tempDir } from '../../helpers/tmp.ts';

/** The port, in memory; counts transactions. */
class MemoryStore implements FeatureStorePort {
  readonly rows = new Map<string, Float32Array>();
  puts = 0;
  static id = (s: FeatureSpace, k: FeatureKey) => `${s.backboneSha256}/${s.preprocessingId}/${k.imageSha256}/${k.view}`;
  async missing(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<FeatureKey[]> {
    return wanted.filter((k) => !this.rows.has(MemoryStore.id(space, k)));
  }
  async put(space: FeatureSpace, rows: readonly FeatureRow[]): Promise<void> {
    this.puts++;
    for (const r of rows) this.rows.set(MemoryStore.id(space, r), Float32Array.from(r.vector));
  }
  async load(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<{ dim: number; data: Float32Array }> {
    const vs = wanted.map((k) => {
      const v = this.rows.get(MemoryStore.id(space, k));
      if (!v) throw new Error(`no vector for ${k.imageSha256}/${k.view}`);
      return v;
    });
    const dim = vs[0]?.length ?? 0;
    const data = new Float32Array(vs.length * dim);
    vs.forEach((v, i) => data.set(v, i * dim));
    return { dim, data };
  }
  views(space: FeatureSpace, imageSha256: string): string[] {
    const prefix = `${space.backboneSha256}/${space.preprocessingId}/${imageSha256}/`;
    return [...this.rows.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  }
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
function listImages(count: number, offset = 0): ExtractImage[] {
  const root = path.join(miniDataDir, 'images');
  const files = fs.readdirSync(root).sort().flatMap((c) => fs.readdirSync(path.join(root, c)).sort().slice(0, 2).map((f) => path.join(root, c, f)));
  return files.slice(offset, offset + count).map((p, i) => ({ path: p, sha256: sha(p), train: i % 2 === 0 }));
}
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('extractFeatures', () => {
  let backbone: Backbone;
  let inferences = 0;
  let counting: ExtractOptions['backbone'];
  before(async () => {
    backbone = await loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
    counting = { featureId: backbone.featureId, dim: backbone.dim, features: (b, n) => (inferences++, backbone.features(b, n)) };
  });
  after(() => backbone?.dispose());
  const run = (store: FeatureStorePort, images: readonly ExtractImage[], extra: Partial<ExtractOptions> = {}) =>
    extractFeatures({ images, spec: DEFAULT_PREPROCESS, views: { flip: true, crops: 2 }, backbone: counting, store, batchSize: 6, decodeConcurrency: 4, ...extra });

  it('computes only what the store lacks: a second run decodes and infers nothing', async () => {
    const store = new MemoryStore();
    const images = listImages(8);
    const progress: [number, number][] = [];
    const first = await run(store, images, { onProgress: (d, t) => progress.push([d, t]) });
    // 4 train images x 4 views + 4 others x 1 view.
    assert.equal(first.computed, 20);
    assert.equal(first.reused, 0);
    assert.equal(first.decoded, 8);
    assert.equal(store.rows.size, 20);
    assert.equal(store.puts, 4, 'one transaction per batch of 6');
    assert.deepEqual(progress, [[6, 20], [12, 20], [18, 20], [20, 20]]);

    inferences = 0;
    // Paths that do not exist: any decoding would fail.
    const gone = images.map((img) => ({ ...img, path: `/nonexistent/${img.sha256}.jpg` }));
    const second = await run(store, gone);
    assert.deepEqual({ computed: second.computed, reused: second.reused, decoded: second.decoded }, { computed: 0, reused: 20, decoded: 0 });
    assert.equal(inferences, 0);

    const more = [...images, ...listImages(3, 8)];
    const third = await run(store, more);
    // Only the three new images: 2 train x 4 views + 1 x center.
    assert.deepEqual({ computed: third.computed, reused: third.reused, decoded: third.decoded }, { computed: 9, reused: 20, decoded: 3 });
  });

  it('gives extra views to training images only', async () => {
    const store = new MemoryStore();
    const images = listImages(4);
    await run(store, images);
    const space = featureSpace(backbone.featureId, DEFAULT_PREPROCESS);
    for (const img of images) {
      assert.deepEqual(store.views(space, img.sha256), img.train ? ['center', 'crop1', 'crop2', 'flip'] : ['center']);
    }
    assert.deepEqual(
      wantedKeys([{ ...images[1]!, train: false }, { ...images[1]!, train: true }], { flip: true, crops: 0 }).map((k) => k.view),
      ['center', 'flip'],
      'the same photo listed twice is computed once, with the union of its views',
    );
    // Training photos are the folds' validation photos too: they also get the test-time views.
    const tta = { flip: true, crops: 0 };
    assert.deepEqual(wantedKeys([{ ...images[0]!, train: true }], { flip: false, crops: 1 }, tta).map((k) => k.view), ['center', 'crop1', 'flip']);
    assert.deepEqual(wantedKeys([{ ...images[0]!, train: false }], { flip: false, crops: 1 }, tta).map((k) => k.view), ['center', 'flip']);
  });

  it('stores exactly backbone.features(preprocess(photo)) for every view', async () => {
    const store = new MemoryStore();
    const images = listImages(3);
    // Test-time zoom views too: the centre crop zoomed in JS must be what the exported graph zooms (zoom.test.ts).
    await run(store, images, { batchSize: 5, evalViews: { flip: true, crops: 0, zoom: [192] } });
    const space = featureSpace(backbone.featureId, DEFAULT_PREPROCESS);
    for (const img of images.filter((i) => i.train)) {
      const views = await preprocessViews(img.path, DEFAULT_PREPROCESS, { flip: true, crops: 2, zoom: [192] }, img.sha256);
      assert.deepEqual(views.map((v) => v.view), ['center', 'flip', 'crop1', 'crop2', 'zoom192', 'zoom192_flip']);
      for (const v of views) {
        const want = await backbone.features(v.data, 1);
        const got = (await store.load(space, [{ imageSha256: img.sha256, view: v.view }])).data;
        assert.ok(maxAbsDiff(got, want) < 1e-6, `${img.path} ${v.view}`);
      }
    }
    const test = images.find((i) => !i.train)!;
    const centre = await preprocess(test.path, DEFAULT_PREPROCESS);
    const want = await backbone.features(centre, 1);
    assert.ok(maxAbsDiff((await store.load(space, [{ imageSha256: test.sha256, view: 'center' }])).data, want) < 1e-6);
    const zoomed = await backbone.features(viewsOfBatch(centre, 1, 224, 'zoom192_flip'), 1);
    assert.ok(maxAbsDiff((await store.load(space, [{ imageSha256: test.sha256, view: 'zoom192_flip' }])).data, zoomed) < 1e-6);
  });

  it('stops between batches on abort, keeping what was stored', async () => {
    const store = new MemoryStore();
    const images = listImages(8);
    const ac = new AbortController();
    await assert.rejects(
      run(store, images, { signal: ac.signal, onProgress: (done) => done >= 6 && ac.abort() }),
      (err: unknown) => err instanceof Error && err.name === 'AbortError',
    );
    assert.equal(store.rows.size % 6, 0, 'only whole batches are stored');
    assert.ok(store.rows.size >= 6 && store.rows.size < 20);
    const rest = await run(store, images);
    assert.equal(rest.computed, 20 - rest.reused);
    assert.equal(store.rows.size, 20);
  });

  it('refuses a file whose bytes changed since it was listed, naming it', async (t) => {
    const dir = tempDir(t);
    const [img] = listImages(1);
    const copy = path.join(dir, 'photo.jpg');
    fs.copyFileSync(img!.path, copy);
    fs.appendFileSync(copy, Buffer.from('x'));
    await assert.rejects(run(new MemoryStore(), [{ ...img!, path: copy }]), new RegExp(`${copy.replace(/[.]/g, '\\.')} changed since it was listed .*re-run the split stage`));
  });

  it('skips a photo it cannot decode (corrupt or truncated) and names it; the others are stored', async (t) => {
    const dir = tempDir(t);
    const bad = path.join(dir, 'bad.jpg');
    fs.writeFileSync(bad, 'not a jpeg at all');
    const [good] = listImages(1);
    const truncated = path.join(dir, 'truncated.jpg');
    fs.writeFileSync(truncated, fs.readFileSync(good!.path).subarray(0, 2000));
    const store = new MemoryStore();
    const images = [
      ...listImages(6).map((i) => ({ ...i, train: false })),
      { path: bad, sha256: sha(bad), train: false },
      { path: truncated, sha256: sha(truncated), train: false },
    ];
    const out = await run(store, images);
    assert.deepEqual(out.failed.map((f) => path.basename(f.path)).sort(), ['bad.jpg', 'truncated.jpg']);
    assert.ok(out.failed.every((f) => f.reason.length > 0));
    assert.equal(out.computed, 6);
    assert.equal(store.rows.size, 6);
  });
});
