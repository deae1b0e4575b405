/**
 * The S3 artifact store against the contract, on a local S3-compatible server this test starts itself (it fails,
 * never skips, when the server cannot start), plus the errors a user must be able to act on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ArtifactError, openArtifactStore, type ArtifactStore } from '../../artifacts/index.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { tempDir } from '../helpers/tmp.ts';
import { artifactStoreContract } from './artifact-store-contract.ts';

const MIB = 1024 * 1024;
let s3: TestS3Server;
before(async () => {
  s3 = await startS3Server({ buckets: ['mlops-test'] });
});
after(() => s3?.close());

const envOf = (extra: Record<string, string> = {}) => ({ ...s3.env, MLOPS_S3_PART_SIZE_MB: '5', ...extra });
// Two keys per list page, so the contract's list test crosses page boundaries.
const open = (url: string, extra?: Record<string, string>) => openArtifactStore(url, { workdir: process.cwd(), env: envOf(extra), s3: { listPageSize: 2 } });

artifactStoreContract('s3', () => ({ open: (name) => open(`s3://mlops-test/contract/${name}`), partSize: 5 * MIB }));

async function expectCode(p: Promise<unknown>, code: string, ...mentions: string[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ArtifactError, String(err));
    assert.equal(err.code, code, err.message);
    for (const m of mentions) assert.ok(err.message.includes(m), `'${m}' in: ${err.message}`);
    return true;
  });
}

describe('s3 artifact store', () => {
  let store: ArtifactStore;
  before(async () => {
    store = await open('s3://mlops-test/specific');
  });
  after(() => store.close());

  test('a file above the part size goes up as a multipart upload; below it, as one PUT', async (t) => {
    const dir = tempDir(t, 'artifacts-s3-');
    const big = path.join(dir, 'big.bin');
    fs.writeFileSync(big, randomBytes(11 * MIB));
    const small = path.join(dir, 'small.bin');
    fs.writeFileSync(small, randomBytes(1000));
    const uploads = async (key: string) => (await s3.requests()).filter((r) => r.path === `/mlops-test/specific/${key}`);
    await store.put('m/big.bin', { file: big });
    const bigReqs = await uploads('m/big.bin');
    assert.equal(bigReqs.filter((r) => r.method === 'POST' && r.query.includes('uploads')).length, 1, 'one CreateMultipartUpload');
    assert.equal(bigReqs.filter((r) => r.method === 'PUT' && r.query.includes('partNumber')).length, 3, '11 MiB in 5 MiB parts');
    assert.equal(bigReqs.filter((r) => r.method === 'POST' && r.query.includes('uploadId')).length, 1, 'one CompleteMultipartUpload');
    await store.put('m/small.bin', { file: small });
    const smallReqs = await uploads('m/small.bin');
    assert.deepEqual(smallReqs.map((r) => r.method), ['PUT']);
    assert.ok(!smallReqs[0]!.query.includes('partNumber'));
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.env.AWS_ACCESS_KEY_ID!, secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY! } });
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: 'mlops-test', Key: 'specific/m/big.bin' }));
      assert.equal(head.ContentLength, 11 * MIB);
      assert.match(head.Metadata?.sha256 ?? '', /^[0-9a-f]{64}$/, 'the digest travels as object metadata');
    } finally {
      client.destroy();
    }
  });

  test('URIs are s3://bucket/prefix/key', async () => {
    const put = await store.put('a/b.txt', { bytes: Buffer.from('x') });
    assert.equal(put.uri, 's3://mlops-test/specific/a/b.txt');
    assert.equal(store.url, 's3://mlops-test/specific');
  });

  test('a missing bucket is named, with what to do', async () => {
    const s = await open('s3://no-such-bucket/x');
    try {
      await expectCode(s.put('k.txt', { bytes: Buffer.from('x') }), 'ARTIFACT_BUCKET_MISSING', "bucket 'no-such-bucket' does not exist", s3.endpoint, 'aws s3 mb');
      await expectCode(s.exists('k.txt'), 'ARTIFACT_BUCKET_MISSING', 's3://no-such-bucket/x/k.txt');
      await expectCode(s.list(), 'ARTIFACT_BUCKET_MISSING', 'no-such-bucket');
    } finally {
      await s.close();
    }
  });

  test('refused credentials are named, with what to set', async () => {
    const s = await open('s3://mlops-test/specific', { AWS_ACCESS_KEY_ID: 'WRONG-KEY', AWS_SECRET_ACCESS_KEY: 'x' });
    try {
      await expectCode(s.get('a/b.txt'), 'ARTIFACT_CREDENTIALS', 's3://mlops-test/specific/a/b.txt', 'AWS_ACCESS_KEY_ID');
    } finally {
      await s.close();
    }
    await expectCode(openArtifactStore('s3://mlops-test/x', { workdir: '.', env: { AWS_ACCESS_KEY_ID: 'only-id' } }), 'ARTIFACT_CREDENTIALS', 'AWS_SECRET_ACCESS_KEY');
  });

  test('an unreachable endpoint is named, with the variables that set it', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const s = await open('s3://mlops-test/specific', { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` });
    try {
      await expectCode(s.exists('a/b.txt'), 'ARTIFACT_ENDPOINT_UNREACHABLE', `http://127.0.0.1:${port}`, 'AWS_ENDPOINT_URL_S3');
    } finally {
      await s.close();
    }
  });
});
