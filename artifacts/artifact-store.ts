/**
 * The artifact store port: named blobs (model files, reports) under string keys, on the local filesystem or in
 * S3-compatible object storage. Callers see URIs (`file:///…`, `s3://bucket/…`) and sha256 digests, never the
 * backend's own handles, so a registry row written on one machine can be fetched on another.
 */

/** What was stored: where it is now, and the digest a later fetch is checked against. */
export interface StoredArtifact {
  /** The key inside the store (`models/food101/…/model.onnx`). */
  readonly key: string;
  /** Absolute URI of the object: `file:///abs/path` or `s3://bucket/prefix/key`. */
  readonly uri: string;
  /** Hex sha256 of the content. */
  readonly sha256: string;
  readonly bytes: number;
}

/** A local file (streamed; large files go up in parts on S3) or bytes in memory. */
export type PutSource = { readonly file: string } | { readonly bytes: Uint8Array };

export interface ArtifactEntry {
  readonly key: string;
  readonly uri: string;
  readonly bytes: number;
  /** Last modification, milliseconds since the epoch. */
  readonly modifiedAt: number;
}

/** What a fetch wrote: the digest of the bytes that actually arrived. */
export interface FetchedArtifact {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ArtifactStore {
  /** The store's root as a URL (`file:///abs/dir` or `s3://bucket/prefix`). */
  readonly url: string;
  /** The URI an object under `key` has (or would have). */
  uriOf(key: string): string;
  /** Stores `source` under `key`, replacing what was there. Readers never see a partial object. */
  put(key: string, source: PutSource): Promise<StoredArtifact>;
  /** The whole object in memory (for small objects; use `fetch` for model files). */
  get(key: string): Promise<Buffer>;
  /** Writes the object to `dest` (temp file + rename: `dest` is either absent, the old file, or complete). */
  fetch(key: string, dest: string): Promise<FetchedArtifact>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (all when empty), sorted by key. */
  list(prefix?: string): Promise<ArtifactEntry[]>;
  /** Removes the object; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Releases connections (S3 sockets); the store is unusable afterwards. */
  close(): Promise<void>;
}
