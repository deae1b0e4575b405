/**
 * The one contract every artifact store backend passes (filesystem, S3-compatible). A backend's test file calls
 * `artifactStoreContract` with a way to open a fresh store under a prefix of its own.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { ArtifactStore } from '../../artifacts/index.ts';
import { ArtifactError } from '../../artifacts/index.ts';
import { tempDir } from '../helpers/tmp.ts';

export interface ContractSetup {
  /** A store whose root nobody else uses (a fresh directory, or a fresh key prefix in the test bucket). */
  open(name: string): Promise<ArtifactStore>;
  /** Bytes above which the backend uploads a file in parts (the large-file case is made bigger than 2 parts). */
  readonly partSize: number;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function rejectsWith(p: Promise<unknown>, code: string, mentions: string): Promise<ArtifactError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ArtifactError, `expected an ArtifactError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.includes(mentions), `message should mention ${mentions}: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${code}`);
}

export function artifactStoreContract(backend: string, setup: () => ContractSetup): void {
  describe(`artifact store contract: ${backend}`, () => {
    const withStore = async (name: string, fn: (s: ArtifactStore) => Promise<void>) => {
      const store = await setup().open(name);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };

    test('put bytes returns uri, sha256 and size; get, exists and uriOf agree', () =>
      withStore('bytes', async (s) => {
        const data = Buffer.from('{"hello":"artifacts"}');
        const put = await s.put('reports/a/summary.json', { bytes: data });
        assert.deepEqual(put, { key: 'reports/a/summary.json', uri: s.uriOf('reports/a/summary.json'), sha256: sha(data), bytes: data.length });
        assert.ok(put.uri.startsWith(s.url + '/'), `${put.uri} under ${s.url}`);
        assert.deepEqual(await s.get('reports/a/summary.json'), data);
        assert.equal(await s.exists('reports/a/summary.json'), true);
        assert.equal(await s.exists('reports/a/other.json'), false);
      }));

    test('a large file goes up (in parts where the backend has them) and fetches back byte for byte', async (t) => {
      const dir = tempDir(t, 'artifacts-contract-');
      const { partSize } = setup();
      const big = randomBytes(2 * partSize + 123_457);
      const src = path.join(dir, 'model.onnx');
      fs.writeFileSync(src, big);
      await withStore('large', async (s) => {
        const put = await s.put('models/m/model.onnx', { file: src });
        assert.equal(put.sha256, sha(big));
        assert.equal(put.bytes, big.length);
        const dest = path.join(dir, 'out', 'model.onnx');
        const got = await s.fetch('models/m/model.onnx', dest);
        assert.deepEqual(got, { path: dest, sha256: sha(big), bytes: big.length });
        assert.ok(fs.readFileSync(dest).equals(big));
        assert.deepEqual(fs.readdirSync(path.dirname(dest)), ['model.onnx'], 'no temp file left beside the fetched one');
      });
    });

    test('put replaces an existing object', () =>
      withStore('replace', async (s) => {
        await s.put('k/file.bin', { bytes: Buffer.from('old') });
        const put = await s.put('k/file.bin', { bytes: Buffer.from('new!') });
        assert.equal(put.bytes, 4);
        assert.equal((await s.get('k/file.bin')).toString(), 'new!');
        assert.deepEqual((await s.list('k/')).map((e) => [e.key, e.bytes]), [['k/file.bin', 4]]);
      }));

    test('list returns the objects under a prefix, sorted, with sizes, across pages', () =>
      withStore('list', async (s) => {
        const keys = ['models/b/v1/model.onnx', 'models/a/v2/labels.json', 'models/a/v1/model.onnx', 'models/a/v1/labels.json', 'models/ab/x.json', 'reports/r.md'];
        for (const [i, k] of keys.entries()) await s.put(k, { bytes: Buffer.alloc(i + 1, i) });
        const all = await s.list();
        assert.deepEqual(all.map((e) => e.key), [...keys].sort());
        assert.deepEqual(all.find((e) => e.key === 'reports/r.md')?.bytes, 6);
        for (const e of all) {
          assert.equal(e.uri, s.uriOf(e.key));
          assert.ok(e.modifiedAt > Date.now() - 3_600_000 && e.modifiedAt <= Date.now() + 60_000, `modifiedAt ${e.modifiedAt}`);
        }
        assert.deepEqual((await s.list('models/a/')).map((e) => e.key), ['models/a/v1/labels.json', 'models/a/v1/model.onnx', 'models/a/v2/labels.json']);
        // A prefix is a string prefix, as in S3: 'models/a' also matches 'models/ab/...'.
        assert.deepEqual((await s.list('models/a')).map((e) => e.key), ['models/a/v1/labels.json', 'models/a/v1/model.onnx', 'models/a/v2/labels.json', 'models/ab/x.json']);
        assert.deepEqual(await s.list('nothing/here/'), []);
      }));

    test('stores with different roots do not see each other', async () => {
      const one = await setup().open('iso-one');
      const two = await setup().open('iso-two');
      try {
        await one.put('x/y.txt', { bytes: Buffer.from('1') });
        assert.equal(await two.exists('x/y.txt'), false);
        assert.deepEqual(await two.list(), []);
        assert.notEqual(one.uriOf('x/y.txt'), two.uriOf('x/y.txt'));
      } finally {
        await one.close();
        await two.close();
      }
    });

    test('delete removes and reports whether there was something; missing objects are named in errors', async (t) => {
      const dir = tempDir(t, 'artifacts-contract-');
      await withStore('delete', async (s) => {
        await s.put('d/gone.txt', { bytes: Buffer.from('bye') });
        assert.equal(await s.delete('d/gone.txt'), true);
        assert.equal(await s.delete('d/gone.txt'), false);
        assert.equal(await s.exists('d/gone.txt'), false);
        await rejectsWith(s.get('d/gone.txt'), 'ARTIFACT_NOT_FOUND', s.uriOf('d/gone.txt'));
        const dest = path.join(dir, 'gone.txt');
        await rejectsWith(s.fetch('d/gone.txt', dest), 'ARTIFACT_NOT_FOUND', s.uriOf('d/gone.txt'));
        assert.deepEqual(fs.readdirSync(dir), [], 'a failed fetch leaves nothing at the destination');
        await rejectsWith(s.put('d/x', { file: path.join(dir, 'no-such-file') }), 'ARTIFACT_NOT_FOUND', 'no-such-file');
      });
    });

    test('keys that could escape the root or are not portable are refused, naming the key', () =>
      withStore('keys', async (s) => {
        for (const key of ['../escape', 'a/../../b', '/abs', 'a//b', 'trailing/', '.hidden', 'a/.tmp', 'sp ace', '']) {
          await rejectsWith(s.put(key, { bytes: Buffer.from('x') }), 'ARTIFACT_BAD_KEY', `'${key}'`);
        }
        await rejectsWith(s.list('../'), 'ARTIFACT_BAD_KEY', "'..'");
      }));
  });
}
