/**
 * Store selection by URL. The backends are an explicit list (like steps/index.ts): `file:` and plain paths for
 * the filesystem, `s3://` for object storage. The S3 SDK is imported only when an `s3://` URL is opened, so
 * commands that never touch S3 do not pay for loading it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from './artifact-store.ts';
import { ArtifactError } from './errors.ts';
import { FsArtifactStore } from './fs-store.ts';
import type { S3StoreOptions } from './s3-store.ts';
import { s3Settings, type Env } from './s3-settings.ts';

/** What opening a store may depend on: passed in, never read from globals. */
export interface ArtifactsContext {
  /** Relative filesystem URLs resolve against it (the pipeline's workdir). */
  readonly workdir: string;
  /** Usually `process.env`: AWS_* and MLOPS_S3_* variables configure S3. */
  readonly env: Env;
  readonly s3?: S3StoreOptions;
}

export interface ArtifactBackend {
  readonly scheme: string;
  /** One line for error messages: what a URL of this scheme looks like. */
  readonly example: string;
  open(url: string, ctx: ArtifactsContext): Promise<ArtifactStore>;
}

const fileBackend: ArtifactBackend = {
  scheme: 'file',
  example: 'file:experiments/artifacts, file:///abs/dir or a plain path',
  async open(url, ctx) {
    let dir: string;
    try {
      dir = url.startsWith('file://') ? fileURLToPath(url) : url.startsWith('file:') ? url.slice('file:'.length) : url;
    } catch (err) {
      throw new ArtifactError('ARTIFACT_BAD_URL', url, `artifacts URL '${url}': ${(err as Error).message}`, { cause: err });
    }
    if (dir === '') throw new ArtifactError('ARTIFACT_BAD_URL', url, `artifacts URL '${url}': no directory given`);
    return new FsArtifactStore(path.resolve(ctx.workdir, dir));
  },
};

const s3Backend: ArtifactBackend = {
  scheme: 's3',
  example: 's3://bucket/prefix (endpoint and credentials from AWS_* variables)',
  async open(url, ctx) {
    const settings = s3Settings(url, ctx.env);
    const { S3ArtifactStore } = await import('./s3-store.ts');
    return new S3ArtifactStore(settings, ctx.s3);
  },
};

export const ARTIFACT_BACKENDS: readonly ArtifactBackend[] = [fileBackend, s3Backend];

/** The scheme of a URL; a plain path (no scheme, or a one-letter drive) is the filesystem. */
export function schemeOf(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(url);
  return m ? m[1]!.toLowerCase() : 'file';
}

export async function openArtifactStore(url: string, ctx: ArtifactsContext): Promise<ArtifactStore> {
  const scheme = schemeOf(url);
  const backend = ARTIFACT_BACKENDS.find((b) => b.scheme === scheme);
  if (!backend) {
    const known = ARTIFACT_BACKENDS.map((b) => `${b.scheme}: (${b.example})`).join('; ');
    throw new ArtifactError('ARTIFACT_BAD_URL', url, `artifacts URL '${url}': unknown scheme '${scheme}:'; supported: ${known}`);
  }
  return backend.open(url, ctx);
}

/**
 * Splits an object URI into the URL of a store rooted at the object's parent and the object's key there, so a
 * recorded URI can be fetched with nothing but the environment (no artifacts URL needed on the reading side).
 */
export function splitArtifactUri(uri: string): { storeUrl: string; key: string } {
  const m = /^((?:file:\/\/|s3:\/\/[^/?#]+\/)(?:[^?#]*\/)?)([^/?#]+)$/.exec(uri);
  if (!m) throw new ArtifactError('ARTIFACT_BAD_URL', uri, `artifact URI '${uri}': expected file:///dir/name or s3://bucket/key`);
  const root = m[1] === 'file:///' ? m[1] : m[1]!.replace(/\/$/, '');
  return { storeUrl: root, key: decodeURIComponent(m[2]!) };
}
