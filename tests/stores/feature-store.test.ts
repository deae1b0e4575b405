import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { backends, openClient, type Backend } from '../helpers/store-backends.ts';
import { SqlFeatureStore, type FeatureKey, type FeatureRow } from '../../stores/feature-store.ts';
import { StoreError } from '../../stores/errors.ts';

const space = { backboneSha256: 'c'.repeat(64), preprocessingId: 'resize256-crop224-bilinear' };
const otherSpace = { backboneSha256: 'c'.repeat(64), preprocessingId: 'resize256-crop224-lanczos' };

async function setup(t: TestContext, backend: Backend) {
  const db = await openClient(t, await backend.url(t));
  return { db, store: new SqlFeatureStore(db) };
}

const key = (i: number, view = 'orig'): FeatureKey => ({ imageSha256: i.toString(16).padStart(64, '0'), view });
const row = (i: number, view = 'orig', dim = 4): FeatureRow => ({ ...key(i, view), vector: Float32Array.from({ length: dim }, (_, j) => i * 10 + j + (view === 'flip' ? 0.5 : 0)) });

for (const backend of backends) {
  const name = (s: string) => `${backend.name}: ${s}`;

  test(name('missing shrinks as features are put; existing keys are never overwritten'), async (t) => {
    const { store } = await setup(t, backend);
    const wanted = [key(1), key(2), key(1, 'flip'), key(3), key(2)];
    assert.deepEqual(await store.missing(space, wanted), [key(1), key(2), key(1, 'flip'), key(3)], 'unknown space: everything, deduplicated');

    await store.put(space, [row(1), row(2)]);
    assert.deepEqual(await store.missing(space, wanted), [key(1, 'flip'), key(3)]);
    assert.equal(await store.count(space), 2);

    await store.put(space, [{ ...key(1), vector: new Float32Array(4).fill(99) }, row(1, 'flip'), row(3)]);
    assert.deepEqual(await store.missing(space, wanted), []);
    assert.equal(await store.count(space), 4);
    assert.deepEqual([...(await store.load(space, [key(1)])).data], [10, 11, 12, 13], 'the first vector stored for a key stays');

    assert.deepEqual(await store.missing(otherSpace, [key(1)]), [key(1)], 'spaces are separate');
    await store.put(otherSpace, [row(1)]);
    assert.equal(await store.count(), 5);
    assert.equal(await store.count(otherSpace), 1);
  });

  test(name('load returns vectors row-major in the order asked, duplicates included'), async (t) => {
    const { store } = await setup(t, backend);
    await store.put(space, [row(1), row(2), row(3), row(2, 'flip')]);
    const { dim, data } = await store.load(space, [key(3), key(2, 'flip'), key(1), key(3)]);
    assert.equal(dim, 4);
    assert.deepEqual([...data], [30, 31, 32, 33, 20.5, 21.5, 22.5, 23.5, 10, 11, 12, 13, 30, 31, 32, 33]);
    assert.deepEqual(await store.load(space, []), { dim: 4, data: new Float32Array(0) });
  });

  test(name('load names the first missing key'), async (t) => {
    const { store } = await setup(t, backend);
    await store.put(space, [row(1)]);
    await assert.rejects(store.load(space, [key(1), key(7, 'crop1'), key(8)]), (err: unknown) =>
      err instanceof StoreError && err.code === 'FEATURES_MISSING' && err.message.includes(key(7).imageSha256) && err.message.includes("'crop1'"));
    await assert.rejects(store.load(otherSpace, [key(1)]), /run the features stage/);
    // A failed load leaves nothing staged behind.
    assert.deepEqual([...(await store.load(space, [key(1)])).data], [10, 11, 12, 13]);
  });

  test(name('a space has one dimension'), async (t) => {
    const { store } = await setup(t, backend);
    await store.put(space, [row(1)]);
    await assert.rejects(store.put(space, [row(2, 'orig', 8)]), (err: unknown) => err instanceof StoreError && err.code === 'FEATURES_DIM_MISMATCH');
    await assert.rejects(store.put(space, [row(2), row(3, 'orig', 3)]), (err: unknown) => err instanceof StoreError && err.code === 'FEATURES_DIM_MISMATCH');
    assert.equal(await store.count(space), 1, 'a rejected batch writes nothing');
  });

  test(name('vectors that are views into a larger buffer are stored by their own bytes'), async (t) => {
    const { store } = await setup(t, backend);
    const big = Float32Array.from({ length: 12 }, (_, i) => i);
    await store.put(space, [{ ...key(1), vector: big.subarray(4, 8) }, { ...key(2), vector: big.subarray(8, 12) }]);
    assert.deepEqual([...(await store.load(space, [key(2), key(1)])).data], [8, 9, 10, 11, 4, 5, 6, 7]);
  });

  test(name('batches of thousands of keys round-trip'), async (t) => {
    const { store } = await setup(t, backend);
    const n = 5000;
    const rows = Array.from({ length: n }, (_, i) => row(i, i % 2 ? 'flip' : 'orig', 16));
    await store.put(space, rows.slice(0, n / 2));
    assert.equal((await store.missing(space, rows)).length, n / 2);
    await store.put(space, rows);
    assert.equal((await store.missing(space, rows)).length, 0);
    const order = rows.map((_, i) => rows[(i * 7919) % n]);
    const { data } = await store.load(space, order);
    for (let i = 0; i < n; i += 997) assert.deepEqual([...data.subarray(i * 16, i * 16 + 16)], [...order[i].vector]);
  });
}
