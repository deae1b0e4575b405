/**
 * The S3-compatible artifact store (`s3://bucket/prefix`). Files go up through @aws-sdk/lib-storage's `Upload`:
 * one PUT below the part size, a multipart upload with parallel parts and abort-on-failure above it (hand-written
 * CreateMultipartUpload/UploadPart/Complete/Abort would be the same code with fewer edge cases handled). S3 PUTs
 * are atomic per object, so readers never see a partial upload.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client, paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { sha256 } from '../lib/hash.ts';
import type { ArtifactEntry, ArtifactStore, FetchedArtifact, PutSource, StoredArtifact } from './artifact-store.ts';
import { ArtifactError } from './errors.ts';
import { hashFile, writeHashed } from './hashing-copy.ts';
import { checkKey, checkPrefix } from './keys.ts';
import { s3Error } from './s3-errors.ts';
import type { S3Settings } from './s3-settings.ts';

export interface S3StoreOptions {
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000; tests use a small one to cross pages). */
  readonly listPageSize?: number;
}

export function createS3Client(s: S3Settings): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.forcePathStyle,
    ...(s.credentials ? { credentials: s.credentials } : {}),
    maxAttempts: s.maxAttempts,
    // The content is verified by sha256 end to end; CRC trailers are what S3-compatible servers most often reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  });
}

export class S3ArtifactStore implements ArtifactStore {
  readonly url: string;
  readonly #s: S3Settings;
  readonly #client: S3Client;
  readonly #pageSize: number;

  constructor(settings: S3Settings, opts: S3StoreOptions = {}) {
    this.#s = settings;
    this.#client = createS3Client(settings);
    this.#pageSize = opts.listPageSize ?? 1000;
    this.url = `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ''}`;
  }

  uriOf(key: string): string {
    return `s3://${this.#s.bucket}/${this.#objectKey(key)}`;
  }

  async put(key: string, source: PutSource): Promise<StoredArtifact> {
    const Key = this.#objectKey(key);
    const uri = this.uriOf(key);
    const Bucket = this.#s.bucket;
    try {
      if ('bytes' in source) {
        const digest = { sha256: sha256(source.bytes), bytes: source.bytes.length };
        await this.#client.send(new PutObjectCommand({ Bucket, Key, Body: source.bytes, ContentLength: digest.bytes, Metadata: { sha256: digest.sha256 } }));
        return { key, uri, ...digest };
      }
      // The digest goes into the object's metadata, which must be known before the first part is sent.
      const digest = await hashFile(source.file).catch((err: NodeJS.ErrnoException) => {
        throw new ArtifactError(err.code === 'ENOENT' ? 'ARTIFACT_NOT_FOUND' : 'ARTIFACT_IO', uri, `put ${uri}: cannot read the source file ${source.file}: ${err.message}`, { cause: err });
      });
      const upload = new Upload({
        client: this.#client,
        params: { Bucket, Key, Body: (await fs.promises.open(source.file, 'r')).createReadStream(), Metadata: { sha256: digest.sha256 } },
        partSize: this.#s.partSize,
        queueSize: 4,
        leavePartsOnError: false,
      });
      await upload.done();
      return { key, uri, ...digest };
    } catch (err) {
      throw s3Error('put', uri, this.#s, err);
    }
  }

  async get(key: string): Promise<Buffer> {
    const uri = this.uriOf(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#s.bucket, Key: this.#objectKey(key) }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      throw s3Error('get', uri, this.#s, err);
    }
  }

  async fetch(key: string, dest: string): Promise<FetchedArtifact> {
    const uri = this.uriOf(key);
    const target = path.resolve(dest);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#s.bucket, Key: this.#objectKey(key) }));
      const digest = await writeHashed(out.Body as Readable, target, (d) => {
        if (out.ContentLength !== undefined && d.bytes !== out.ContentLength) {
          throw new ArtifactError('ARTIFACT_IO', uri, `fetch ${uri}: the download stopped at ${d.bytes} of ${out.ContentLength} bytes: try again`);
        }
      });
      return { path: target, ...digest };
    } catch (err) {
      throw s3Error('fetch', uri, this.#s, err);
    }
  }

  async exists(key: string): Promise<boolean> {
    const uri = this.uriOf(key);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#s.bucket, Key: this.#objectKey(key) }));
      return true;
    } catch (err) {
      const e = s3Error('exists', uri, this.#s, err);
      if (e.code !== 'ARTIFACT_NOT_FOUND') throw e;
      // HEAD answers a bare 404 for a missing bucket too: tell the two apart, a missing bucket is a setup error.
      await this.#checkBucket(uri);
      return false;
    }
  }

  async list(prefix = ''): Promise<ArtifactEntry[]> {
    checkPrefix(this.url, prefix);
    const base = this.#s.prefix ? `${this.#s.prefix}/` : '';
    const entries: ArtifactEntry[] = [];
    try {
      const pages = paginateListObjectsV2({ client: this.#client, pageSize: this.#pageSize }, { Bucket: this.#s.bucket, Prefix: base + prefix });
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          if (!o.Key?.startsWith(base)) continue;
          const key = o.Key.slice(base.length);
          entries.push({ key, uri: `s3://${this.#s.bucket}/${o.Key}`, bytes: o.Size ?? 0, modifiedAt: o.LastModified?.getTime() ?? 0 });
        }
      }
    } catch (err) {
      throw s3Error('list', `${this.url}/${prefix}`, this.#s, err);
    }
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<boolean> {
    // S3's DELETE succeeds whether or not the object existed; the HEAD gives the answer the port promises.
    if (!(await this.exists(key))) return false;
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#s.bucket, Key: this.#objectKey(key) }));
      return true;
    } catch (err) {
      throw s3Error('delete', this.uriOf(key), this.#s, err);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #checkBucket(uri: string): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#s.bucket }));
    } catch (err) {
      const e = s3Error('exists', uri, this.#s, err);
      if (e.code === 'ARTIFACT_NOT_FOUND') throw s3Error('exists', uri, this.#s, Object.assign(new Error('bucket not found'), { name: 'NoSuchBucket' }));
      throw e;
    }
  }

  #objectKey(key: string): string {
    checkKey(this.url, key);
    return this.#s.prefix ? `${this.#s.prefix}/${key}` : key;
  }
}
