/**
 * Coded errors of the artifact stores. Every message names the URI (or key) at fault and what to do about it;
 * the `code` is stable so callers and tests switch on it rather than on wording.
 */
import { PipelineError } from '../runner/errors.ts';

export type ArtifactErrorCode =
  /** The artifacts URL cannot be parsed or names an unknown scheme. */
  | 'ARTIFACT_BAD_URL'
  /** A key is empty, absolute, has `..`/`.` segments or characters outside the portable set. */
  | 'ARTIFACT_BAD_KEY'
  | 'ARTIFACT_NOT_FOUND'
  | 'ARTIFACT_BUCKET_MISSING'
  | 'ARTIFACT_CREDENTIALS'
  | 'ARTIFACT_ENDPOINT_UNREACHABLE'
  /** Fetched bytes whose sha256 is not the recorded one (the file is refused and removed). */
  | 'ARTIFACT_SHA256_MISMATCH'
  /** Any other failure of the backend (disk full, permission, an unexpected S3 answer). */
  | 'ARTIFACT_IO';

export class ArtifactError extends PipelineError {
  declare readonly code: ArtifactErrorCode;
  /** The URI (or store URL) the failure is about. */
  readonly uri: string;
  constructor(code: ArtifactErrorCode, uri: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.uri = uri;
  }
}

/** The message of any thrown value (errors from native code and the SDK are not always `Error`s). */
export function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
