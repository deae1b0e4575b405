/** The filesystem artifact store against the contract, plus how `file:` URLs and plain paths resolve. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ArtifactError, FsArtifactStore, openArtifactStore } from '../../artifacts/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { artifactStoreContract } from './artifact-store-contract.ts';

const root = tempDir({ after }, 'artifacts-fs-');

artifactStoreContract('filesystem', () => ({
  open: (name) => openArtifactStore(`file:${name}`, { workdir: root, env: {} }),
  partSize: 1 << 20,
}));

test('file: URLs, file:/// URLs and plain paths open filesystem stores; unknown schemes are refused', async () => {
  const cases = [`file:experiments/artifacts`, 'experiments/artifacts', path.join(root, 'experiments/artifacts'), pathToFileURL(path.join(root, 'experiments/artifacts')).href];
  for (const url of cases) {
    const s = await openArtifactStore(url, { workdir: root, env: {} });
    assert.ok(s instanceof FsArtifactStore, url);
    assert.equal(s.url, pathToFileURL(path.join(root, 'experiments/artifacts')).href, url);
  }
  await assert.rejects(openArtifactStore('gs://bucket/x', { workdir: root, env: {} }), (err: ArtifactError) => {
    assert.equal(err.code, 'ARTIFACT_BAD_URL');
    assert.match(err.message, /unknown scheme 'gs:'; supported: file: .*; s3: /);
    return true;
  });
  await assert.rejects(openArtifactStore('s3://Bad_Bucket/x', { workdir: root, env: {} }), /'Bad_Bucket' is not a valid bucket name/);
});

// Object PUTs are atomic on S3 by the service's contract (the local test server writes in place, so this is
// checked where the atomicity is this project's code: temp file + rename).
test('concurrent puts of one key leave one whole version, never a mix, and no temp files', async () => {
  const s = await openArtifactStore('file:race', { workdir: root, env: {} });
  const a = Buffer.alloc(3_000_000, 'a');
  const b = Buffer.alloc(2_000_000, 'b');
  for (let round = 0; round < 5; round++) {
    await Promise.all([s.put('k/race.bin', { bytes: a }), s.put('k/race.bin', { bytes: b }), s.put('k/race.bin', { bytes: a })]);
    const got = await s.get('k/race.bin');
    assert.ok(got.equals(a) || got.equals(b), `round ${round}: ${got.length} bytes that are neither version`);
  }
  assert.deepEqual(fs.readdirSync(path.join(root, 'race', 'k')), ['race.bin']);
});
