/**
 * The data-versioning store's contract, on SQLite always and on PostgreSQL when MLOPS_TEST_POSTGRES_URL is set:
 * record once (also when several connections record the same version at once), look up by name or hash, counts
 * per class and split, image filters, and diffs by photo content.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { DATA_VERSION_MIGRATIONS, SqlDataVersionStore, type DatasetImage, type DatasetVersionInput } from '../../stores/data-version-store.ts';
import { StoreError } from '../../stores/errors.ts';
import { migrate, openSql, parseStoreUrl, type SqlClient } from '../../stores/sql/index.ts';
import { backends } from '../helpers/store-backends.ts';

const h = (c: string) => c.repeat(64).slice(0, 64);
const img = (path: string, className: string, sha: string, split: 'train' | 'test', fold: number | null): DatasetImage => ({ path, className, sha256: h(sha), split, fold });

const base: DatasetVersionInput = {
  version: 'mini_2c_tr67_te33_aaaaaaaa',
  manifestHash: h('a'),
  name: 'mini',
  sourceRoot: '/data/mini',
  layout: 'food101',
  subset: { classes: ['pizza', 'sushi'], fraction: 1, seed: 42 },
  classes: ['pizza', 'sushi'],
  folds: 2,
  images: [
    img('images/pizza/1.jpg', 'pizza', '1', 'train', 1),
    img('images/pizza/2.jpg', 'pizza', '2', 'train', 2),
    img('images/sushi/3.jpg', 'sushi', '3', 'train', 1),
    img('images/sushi/4.jpg', 'sushi', '4', 'train', 2),
    img('images/pizza/5.jpg', 'pizza', '5', 'test', null),
    img('images/sushi/6.jpg', 'sushi', '6', 'test', null),
  ],
  excluded: [{ path: 'images/sushi/broken.jpg', reason: 'not a decodable image' }],
};

for (const backend of backends) {
  describe(`data-version store contract: ${backend.name}`, () => {
    async function open(t: TestContext, url?: string, now = () => 1_700_000_000_000): Promise<{ store: SqlDataVersionStore; db: SqlClient; url: string }> {
      const u = url ?? (await backend.url(t));
      const db = await openSql(parseStoreUrl(u));
      t.after(() => db.close());
      await migrate(db, [DATA_VERSION_MIGRATIONS]);
      return { store: new SqlDataVersionStore(db, { now }), db, url: u };
    }

    test('records a version with counts per class and split; finds it by name, hash suffix, manifest prefix and latest', async (t) => {
      const { store } = await open(t);
      const { version, created } = await store.record(base);
      assert.equal(created, true);
      assert.deepEqual(version.counts, { train: 4, test: 2, perClass: { pizza: { train: 2, test: 1 }, sushi: { train: 2, test: 1 } } });
      assert.deepEqual(version.subset, base.subset);
      assert.deepEqual(version.classes, ['pizza', 'sushi']);
      assert.equal(version.sourceRoot, '/data/mini');
      assert.deepEqual(version.excluded, base.excluded);
      assert.equal(version.createdAt, 1_700_000_000_000);
      for (const ref of [base.version, 'aaaaaaaa', h('a').slice(0, 12), 'latest']) assert.equal((await store.get(ref))?.version, base.version, ref);
      assert.equal(await store.get('no_such_version'), undefined);
      assert.equal(await store.get('bbbbbbbb'), undefined);
    });

    test('recording again changes nothing; a name with other manifests, or a bad image, is refused', async (t) => {
      const { store } = await open(t);
      await store.record(base);
      const again = await store.record(base);
      assert.equal(again.created, false);
      assert.equal((await store.images(base.version)).length, 6);
      await assert.rejects(store.record({ ...base, manifestHash: h('b') }), (e: StoreError) => e.code === 'DATA_VERSION_CONFLICT' && e.message.includes(base.version));
      await assert.rejects(store.record({ ...base, version: 'other_name', manifestHash: h('a') }), (e: StoreError) => e.code === 'DATA_VERSION_CONFLICT');
      await assert.rejects(
        store.record({ ...base, version: 'v2', manifestHash: h('c'), images: [img('x.jpg', 'ramen', '9', 'train', 1)] }),
        (e: StoreError) => e.code === 'DATA_INVALID_VERSION' && e.message.includes("'ramen'"),
      );
      assert.equal((await store.list()).length, 1);
    });

    test('images: by split, the training part of a fold, by class; sorted train first, then class and path', async (t) => {
      const { store } = await open(t);
      await store.record(base);
      const all = await store.images(base.version);
      assert.deepEqual(all.map((i) => i.path), ['images/pizza/1.jpg', 'images/pizza/2.jpg', 'images/sushi/3.jpg', 'images/sushi/4.jpg', 'images/pizza/5.jpg', 'images/sushi/6.jpg']);
      assert.deepEqual(all[0], base.images[0]);
      assert.deepEqual((await store.images(base.version, { split: 'test' })).map((i) => i.fold), [null, null]);
      // Fold 1's model trained on the images whose validation fold is not 1.
      assert.deepEqual((await store.images('aaaaaaaa', { trainOfFold: 1 })).map((i) => i.path), ['images/pizza/2.jpg', 'images/sushi/4.jpg']);
      assert.deepEqual((await store.images(base.version, { className: 'sushi', split: 'train' })).map((i) => i.path), ['images/sushi/3.jpg', 'images/sushi/4.jpg']);
      await assert.rejects(store.images('nope'), (e: StoreError) => e.code === 'DATA_UNKNOWN_VERSION' && e.message.includes('pipeline data list'));
    });

    test('diff: added, removed and relabelled photos, by content', async (t) => {
      let clock = 1;
      const { store } = await open(t, undefined, () => clock++);
      await store.record(base);
      const next: DatasetVersionInput = {
        ...base,
        version: 'mini_2c_tr67_te33_bbbbbbbb',
        manifestHash: h('b'),
        images: [
          img('images/pizza/1.jpg', 'pizza', '1', 'train', 2), // same photo, other fold: unchanged
          img('images/sushi/2.jpg', 'sushi', '2', 'train', 1), // moved to sushi/: relabelled
          img('images/sushi/3.jpg', 'pizza', '3', 'train', 1), // relabelled in place
          img('images/pizza/5.jpg', 'pizza', '5', 'test', null),
          img('images/sushi/6.jpg', 'sushi', '6', 'test', null),
          img('images/sushi/7.jpg', 'sushi', '7', 'train', 2), // new photo
          img('images/sushi/6-copy.jpg', 'sushi', '6', 'test', null), // a duplicate of 6: added
        ],
      };
      await store.record(next);
      const d = await store.diff(base.version, 'bbbbbbbb');
      assert.equal(d.from, base.version);
      assert.equal(d.to, next.version);
      assert.deepEqual(d.added.map((i) => i.path), ['images/sushi/6-copy.jpg', 'images/sushi/7.jpg']);
      assert.deepEqual(d.removed.map((i) => i.path), ['images/sushi/4.jpg']);
      assert.deepEqual(d.relabelled, [
        { sha256: h('2'), path: 'images/sushi/2.jpg', fromPath: 'images/pizza/2.jpg', from: 'pizza', to: 'sushi' },
        { sha256: h('3'), path: 'images/sushi/3.jpg', fromPath: 'images/sushi/3.jpg', from: 'sushi', to: 'pizza' },
      ]);
      assert.equal(d.unchanged, 3);
      assert.deepEqual((await store.list()).map((v) => v.version), [next.version, base.version], 'newest first');
      assert.equal((await store.get('latest'))?.version, next.version);
      await assert.rejects(store.diff(base.version, 'nope'), (e: StoreError) => e.code === 'DATA_UNKNOWN_VERSION');
    });

    test('several connections recording the same version at once leave one row and one set of images', async (t) => {
      const first = await open(t);
      const many: DatasetVersionInput = {
        ...base,
        images: Array.from({ length: 2500 }, (_, i) => img(`images/pizza/${i}.jpg`, i % 2 ? 'pizza' : 'sushi', i.toString(16).padStart(6, '0'), i % 4 ? 'train' : 'test', i % 4 ? 1 + (i % 2) : null)),
      };
      const others = await Promise.all([0, 1, 2].map(() => open(t, first.url)));
      const results = await Promise.all([first, ...others].map((o) => o.store.record(many)));
      assert.equal(results.filter((r) => r.created).length, 1, 'exactly one recording created it');
      assert.equal((await first.store.images(base.version)).length, 2500);
      assert.equal((await first.store.get(base.version))?.counts.train, 1875);
    });
  });
}
