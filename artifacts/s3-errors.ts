/**
 * SDK failures translated into errors that say which URI failed and what to do: credentials, a missing bucket
 * and an unreachable endpoint are the three a user can fix, so they get their own codes.
 */
import { ArtifactError, why } from './errors.ts';
import type { S3Settings } from './s3-settings.ts';

interface SdkError {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
  errors?: unknown[];
}

const CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError', 'TokenProviderError', 'Forbidden']);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** The network code of an error or of what it wraps (AggregateError from happy-eyeballs connects, `cause`). */
function networkCode(err: SdkError | undefined, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 3) return undefined;
  if (err.code && NETWORK.has(err.code)) return err.code;
  if (err.name === 'TimeoutError') return 'timeout';
  for (const inner of [err.cause, ...(err.errors ?? [])]) {
    const c = networkCode(inner as SdkError, depth + 1);
    if (c) return c;
  }
  return undefined;
}

export function endpointName(s: S3Settings): string {
  return s.endpoint ?? `AWS S3 (${s.region})`;
}

/** `op` says what was attempted (put, get, list ...); `uri` is the object or prefix. */
export function s3Error(op: string, uri: string, s: S3Settings, err: unknown): ArtifactError {
  if (err instanceof ArtifactError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const net = networkCode(e);
  if (net) {
    return new ArtifactError('ARTIFACT_ENDPOINT_UNREACHABLE', uri,
      `${op} ${uri}: cannot reach the S3 endpoint ${endpointName(s)} (${net}): check AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and that the server is running`, { cause: err });
  }
  if (name === 'NoSuchBucket') {
    return new ArtifactError('ARTIFACT_BUCKET_MISSING', uri,
      `${op} ${uri}: bucket '${s.bucket}' does not exist at ${endpointName(s)}: create it (aws s3 mb s3://${s.bucket}) or fix artifacts.url / MLOPS_ARTIFACTS_URL`, { cause: err });
  }
  if (CREDENTIALS.has(name) || status === 403) {
    const source = s.credentials ? 'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY' : "the SDK's default credential chain (no AWS_ACCESS_KEY_ID set)";
    return new ArtifactError('ARTIFACT_CREDENTIALS', uri,
      `${op} ${uri}: the S3 endpoint ${endpointName(s)} refused the credentials from ${source} (${name || status}): set valid keys with access to bucket '${s.bucket}'`, { cause: err });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new ArtifactError('ARTIFACT_NOT_FOUND', uri, `${op} ${uri}: no such object (was it deleted, or is artifacts.url pointing at another bucket or prefix?)`, { cause: err });
  }
  return new ArtifactError('ARTIFACT_IO', uri, `${op} ${uri} failed at ${endpointName(s)}: ${name ? `${name}: ` : ''}${why(err)}`, { cause: err });
}
