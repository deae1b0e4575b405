/**
 * A model version's files in the artifact store: what the register step puts and records, and what a server
 * materialises into its local cache before loading. The record travels in the registry version's lineage
 * (`lineage.artifacts`), so any process that can read the registry and reach the store can load the version.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactStore } from './artifact-store.ts';
import type { ArtifactCache, ArtifactRef } from './artifact-cache.ts';
import { ArtifactError } from './errors.ts';
import { hashFile } from './hashing-copy.ts';

/** The files a served model needs (the server reads all three). */
export const MODEL_FILES = ['model.onnx', 'labels.json', 'preprocessing.json'] as const;

/** What the registry records about a version's files in the artifact store. */
export interface ModelArtifacts {
  /** The store they were put into (`file:///…` or `s3://bucket/prefix`). */
  readonly store: string;
  /** File name -> where it is and its digest. */
  readonly files: Readonly<Record<string, Required<ArtifactRef>>>;
}

export interface PutModelOptions {
  /** Registered model name: the first segment of the keys. */
  readonly model: string;
  /** Directory holding the files (the export stage's `outputs/model`). */
  readonly dir: string;
  readonly files?: readonly string[];
}

/**
 * Puts the model's files under `models/<model>/<sha256 of model.onnx>/<file>`. Keys are content-addressed, so
 * registering the same model twice writes the same objects, and no key depends on a version number the registry
 * has not assigned yet.
 */
export async function putModelFiles(store: ArtifactStore, opts: PutModelOptions): Promise<ModelArtifacts> {
  const names = opts.files ?? MODEL_FILES;
  for (const n of names) {
    const file = path.join(opts.dir, n);
    if (!fs.existsSync(file)) {
      throw new ArtifactError('ARTIFACT_NOT_FOUND', store.url, `cannot put model '${opts.model}' into ${store.url}: ${file} does not exist (run the export stage first)`);
    }
  }
  const model = await hashFile(path.join(opts.dir, names[0]!));
  const prefix = `models/${opts.model}/${model.sha256}`;
  const files: Record<string, Required<ArtifactRef>> = {};
  for (const n of names) {
    const put = await store.put(`${prefix}/${n}`, { file: path.join(opts.dir, n) });
    files[n] = { uri: put.uri, sha256: put.sha256, bytes: put.bytes };
  }
  return { store: store.url, files };
}

/**
 * Reads a `ModelArtifacts` record back from a version's lineage (stored JSON, so checked field by field);
 * undefined when the version has none (registered before the artifact store existed).
 */
export function modelArtifactsOf(lineage: object): ModelArtifacts | undefined {
  const a = (lineage as { artifacts?: unknown }).artifacts as { store?: unknown; files?: Record<string, { uri?: unknown; sha256?: unknown; bytes?: unknown }> } | undefined;
  if (!a || typeof a !== 'object' || typeof a.store !== 'string' || !a.files || typeof a.files !== 'object') return undefined;
  const files: Record<string, Required<ArtifactRef>> = {};
  for (const [name, f] of Object.entries(a.files)) {
    if (typeof f?.uri !== 'string' || typeof f.sha256 !== 'string') return undefined;
    files[name] = { uri: f.uri, sha256: f.sha256, bytes: typeof f.bytes === 'number' ? f.bytes : -1 };
  }
  return { store: a.store, files };
}

/**
 * The local directory of a version's files, fetched into `cache` (once) and verified by sha256: what a server
 * calls before loading a version whose files live in an artifact store.
 */
export async function materializeModel(artifacts: ModelArtifacts, cache: ArtifactCache): Promise<string> {
  return cache.materialize(artifacts.files);
}
