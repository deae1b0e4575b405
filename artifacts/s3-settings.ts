/**
 * How an `s3://bucket/prefix` URL and the environment become an S3 client: the standard AWS variables, so the
 * same settings work for the AWS CLI, for a Kubernetes pod and for this project.
 */
import { ArtifactError } from './errors.ts';

export interface S3Location {
  readonly bucket: string;
  /** Key prefix without leading or trailing '/' ('' for the bucket's root). */
  readonly prefix: string;
}

export interface S3Settings extends S3Location {
  /** AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; unset means AWS itself. */
  readonly endpoint?: string;
  /** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (S3-compatible servers ignore it but the signer needs one). */
  readonly region: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`: what MinIO, Ceph and most local servers need. */
  readonly forcePathStyle: boolean;
  /** From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN); unset: the SDK's own chain (profiles, IRSA, IMDS). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  readonly maxAttempts: number;
  /** Multipart part size in bytes (S3's minimum is 5 MiB); smaller objects go up in one PUT. */
  readonly partSize: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MIB = 1024 * 1024;

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/.exec(url);
  if (!m) throw new ArtifactError('ARTIFACT_BAD_URL', url, `artifacts URL '${url}': expected s3://bucket or s3://bucket/prefix`);
  const bucket = m[1]!;
  if (!BUCKET.test(bucket)) {
    throw new ArtifactError('ARTIFACT_BAD_URL', url, `artifacts URL '${url}': '${bucket}' is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')`);
  }
  return { bucket, prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

function flag(env: Env, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['0', 'false', 'no'].includes(v)) return false;
  throw new ArtifactError('ARTIFACT_BAD_URL', name, `${name}=${env[name]}: expected true or false`);
}

export function s3Settings(url: string, env: Env): S3Settings {
  const loc = parseS3Url(url);
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new ArtifactError('ARTIFACT_BAD_URL', endpoint, `S3 endpoint '${endpoint}' (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL): expected http://host:port or https://host`);
  }
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret } = env;
  if (Boolean(id) !== Boolean(secret)) {
    throw new ArtifactError('ARTIFACT_CREDENTIALS', url, `${url}: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (only ${id ? 'the key id' : 'the secret'} is set)`);
  }
  const partMb = Number(env.MLOPS_S3_PART_SIZE_MB ?? 8);
  if (!Number.isFinite(partMb) || partMb < 5) {
    throw new ArtifactError('ARTIFACT_BAD_URL', 'MLOPS_S3_PART_SIZE_MB', `MLOPS_S3_PART_SIZE_MB=${env.MLOPS_S3_PART_SIZE_MB}: expected a number of MiB >= 5 (S3's minimum part size)`);
  }
  const attempts = Number(env.AWS_MAX_ATTEMPTS ?? 3);
  return {
    ...loc,
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    // A custom endpoint is almost always an S3-compatible server without virtual-host DNS.
    forcePathStyle: flag(env, 'MLOPS_S3_FORCE_PATH_STYLE') ?? endpoint !== undefined,
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } : undefined,
    maxAttempts: Number.isInteger(attempts) && attempts >= 1 ? attempts : 3,
    partSize: Math.round(partMb * MIB),
  };
}
