/**
 * The artifact store port and its backends (filesystem, S3-compatible), the local sha256-verified cache, and the
 * model-version helpers the register step and the server use.
 */
export type { ArtifactEntry, ArtifactStore, FetchedArtifact, PutSource, StoredArtifact } from './artifact-store.ts';
export { ArtifactCache, type ArtifactCacheOptions, type ArtifactRef } from './artifact-cache.ts';
export { ArtifactError, type ArtifactErrorCode } from './errors.ts';
export { FsArtifactStore } from './fs-store.ts';
export { MODEL_FILES, materializeModel, modelArtifactsOf, putModelFiles, type ModelArtifacts, type PutModelOptions } from './model-artifacts.ts';
export { ARTIFACT_BACKENDS, openArtifactStore, schemeOf, splitArtifactUri, type ArtifactBackend, type ArtifactsContext } from './open-store.ts';
export { parseS3Url, s3Settings, type Env, type S3Settings } from './s3-settings.ts';
