/**
 * The local artifact cache: fetched once, verified by sha256 every time, refused and removed on a mismatch, and
 * safe when several processes fetch the same artifact at once. Runs against the local S3 server (and a `file:`
 * store for URIs of that kind).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ArtifactCache, ArtifactError, openArtifactStore, type ArtifactStore } from '../../artifacts/index.ts';
import { repoRoot } from '../helpers/paths.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { tempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'materialize-child.ts');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Every file under `dir`, relative, sorted (temp files included: none may be left). */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe('artifact cache', () => {
  let s3: TestS3Server;
  let store: ArtifactStore;
  before(async () => {
    s3 = await startS3Server({ buckets: ['cache-test'] });
    store = await openArtifactStore('s3://cache-test/models', { workdir: repoRoot, env: s3.env });
  });
  after(async () => {
    await store?.close();
    await s3?.close();
  });
  const gets = async (key: string) => (await s3.requests()).filter((r) => r.method === 'GET' && r.path === `/cache-test/models/${key}`).length;
  const cacheAt = (dir: string) => new ArtifactCache({ dir, ctx: { workdir: repoRoot, env: s3.env } });

  test('fetches once, then serves the verified local copy', async (t) => {
    const data = randomBytes(70_000);
    const ref = await store.put('once/model.onnx', { bytes: data });
    const cache = cacheAt(tempDir(t, 'cache-'));
    const first = await cache.fetch(ref);
    assert.equal(first, cache.blobPath(ref.sha256));
    assert.ok(fs.readFileSync(first).equals(data));
    assert.equal(await cache.fetch(ref), first);
    assert.equal(await gets('once/model.onnx'), 1, 'the second fetch is served from the cache');
  });

  test('a corrupted cached file is refused, removed and fetched again', async (t) => {
    const data = randomBytes(10_000);
    const ref = await store.put('corrupt/model.onnx', { bytes: data });
    const cache = cacheAt(tempDir(t, 'cache-'));
    const blob = await cache.fetch(ref);
    fs.writeFileSync(blob, 'tampered');
    assert.ok(fs.readFileSync(await cache.fetch(ref)).equals(data));
    assert.equal(await gets('corrupt/model.onnx'), 2);
  });

  test('an object that no longer matches its recorded sha256 is refused, and nothing is kept', async (t) => {
    const ref = await store.put('changed/model.onnx', { bytes: Buffer.from('the registered bytes') });
    await store.put('changed/model.onnx', { bytes: Buffer.from('someone replaced them') });
    const dir = tempDir(t, 'cache-');
    const cache = cacheAt(dir);
    await assert.rejects(cache.fetch(ref), (err: unknown) => {
      assert.ok(err instanceof ArtifactError);
      assert.equal(err.code, 'ARTIFACT_SHA256_MISMATCH');
      assert.ok(err.message.includes('s3://cache-test/models/changed/model.onnx'), err.message);
      assert.ok(err.message.includes(ref.sha256), err.message);
      return true;
    });
    assert.deepEqual(tree(dir), [], 'no blob and no temp file');
    await assert.rejects(cache.fetch({ ...ref, sha256: 'not-a-digest' }), /recorded sha256 'not-a-digest' is not 64 hex digits/);
  });

  test('materialize assembles named, verified files in one directory per set of digests', async (t) => {
    const model = await store.put('set/v1/model.onnx', { bytes: randomBytes(5000) });
    const labels = await store.put('set/v1/labels.json', { bytes: Buffer.from('["a","b"]') });
    const cache = cacheAt(tempDir(t, 'cache-'));
    const dir = await cache.materialize({ 'model.onnx': model, 'labels.json': labels });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['labels.json', 'model.onnx']);
    assert.equal(sha(fs.readFileSync(path.join(dir, 'model.onnx'))), model.sha256);
    assert.equal(await cache.materialize({ 'labels.json': labels, 'model.onnx': model }), dir, 'same digests, same directory');
    // A file changed in place is refused: the set is rebuilt from verified blobs (re-fetched where needed).
    fs.rmSync(path.join(dir, 'labels.json'));
    fs.writeFileSync(path.join(dir, 'labels.json'), '["x"]');
    assert.equal(await cache.materialize({ 'model.onnx': model, 'labels.json': labels }), dir);
    assert.equal(fs.readFileSync(path.join(dir, 'labels.json'), 'utf8'), '["a","b"]');
    await assert.rejects(cache.materialize({ '../evil': model }), (e: ArtifactError) => e.code === 'ARTIFACT_BAD_KEY');
  });

  test('file: URIs are cached the same way', async (t) => {
    const fsStore = await openArtifactStore(tempDir(t, 'fs-store-'), { workdir: repoRoot, env: {} });
    const ref = await fsStore.put('m/labels.json', { bytes: Buffer.from('["pizza"]') });
    assert.match(ref.uri, /^file:\/\/\//);
    const cache = cacheAt(tempDir(t, 'cache-'));
    const dir = await cache.materialize({ 'labels.json': ref });
    assert.equal(fs.readFileSync(path.join(dir, 'labels.json'), 'utf8'), '["pizza"]');
  });

  test('several processes materialising the same set at once all get it whole, with no temp files left', async (t) => {
    const model = await store.put('race/model.onnx', { bytes: randomBytes(6 * 1024 * 1024) });
    const labels = await store.put('race/labels.json', { bytes: Buffer.from('["a"]') });
    const dir = tempDir(t, 'cache-');
    const files = JSON.stringify({ 'model.onnx': model, 'labels.json': labels });
    const env = { ...process.env, ...s3.env };
    const outs = await Promise.all(
      [0, 1, 2].map(() => run(process.execPath, ['--import', 'tsx', CHILD, dir, files], { cwd: repoRoot, env, timeout: 60_000 })),
    );
    const dirs = outs.map((o) => (JSON.parse(o.stdout.trim().split('\n').pop()!) as { dir: string }).dir);
    assert.equal(new Set(dirs).size, 1, dirs.join(', '));
    assert.equal(sha(fs.readFileSync(path.join(dirs[0]!, 'model.onnx'))), model.sha256);
    const left = tree(dir);
    assert.deepEqual(left.filter((f) => f.includes('.tmp-')), [], left.join('\n'));
    assert.equal(left.filter((f) => f.startsWith('blobs/')).length, 2);
    // The same race interleaved for certain: five caches over one directory in this process, all at once.
    const again = tempDir(t, 'cache-');
    const sets = await Promise.all([0, 1, 2, 3, 4].map(() => cacheAt(again).materialize({ 'model.onnx': model, 'labels.json': labels })));
    assert.equal(new Set(sets).size, 1);
    assert.deepEqual(tree(again).filter((f) => f.includes('.tmp-')), []);
    assert.equal(sha(fs.readFileSync(path.join(sets[0]!, 'model.onnx'))), model.sha256);
  });
});
