/**
 * Trained run models through the artifact store, so a run trained in one workdir (a shard's pod) can be used in
 * another (the workdir that aggregates). Each file is put under a content-addressed key
 * (`runs/<sha256>/<name>`: the same bytes always land on the same key, so retries and concurrent shards never
 * clash) and the run records the URIs and digests in its `model_files` tag. A workdir that lacks the model
 * fetches it into the artifact cache, verified by sha256.
 */
import { ArtifactCache, openArtifactStore, type ArtifactRef } from '../../artifacts/index.ts';
import { sha256 } from '../../lib/hash.ts';
import type { StepContext } from '../../runner/context.ts';
import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactsSection } from '../sections/artifacts.ts';

/** The tag holding `{ "model.json": {uri, sha256, bytes}, "weights.bin": {...} }`. */
export const MODEL_FILES_TAG = 'model_files';
const FILES = ['model.json', 'weights.bin'] as const;

/** Puts the model files of `modelDir` into the artifact store; returns the tag value to record on the run. */
export async function putRunModel(ctx: StepContext, section: ArtifactsSection, modelDir: string): Promise<string> {
  const store = await openArtifactStore(section.url, { workdir: ctx.paths.workdir, env: process.env });
  try {
    const refs: Record<string, ArtifactRef> = {};
    for (const name of FILES) {
      const file = path.join(modelDir, name);
      const digest = sha256(fs.readFileSync(file));
      const stored = await store.put(`runs/${digest}/${name}`, { file });
      refs[name] = { uri: stored.uri, sha256: stored.sha256, bytes: stored.bytes };
    }
    return JSON.stringify(refs);
  } finally {
    await store.close();
  }
}

/**
 * A local directory holding the run's model: `localDir` when it is there, else the files named by the run's
 * `model_files` tag fetched into the artifact cache; undefined when neither exists (older runs, or a store
 * that lost them), so the run is trained again.
 */
export async function runModelDir(ctx: StepContext, section: ArtifactsSection, localDir: string, tags: Readonly<Record<string, string>>): Promise<string | undefined> {
  if (fs.existsSync(path.join(localDir, 'model.json'))) return localDir;
  const tag = tags[MODEL_FILES_TAG];
  if (!tag) return undefined;
  const refs = JSON.parse(tag) as Record<string, ArtifactRef>;
  const cache = new ArtifactCache({ dir: path.resolve(ctx.paths.workdir, section.cache), ctx: { workdir: ctx.paths.workdir, env: process.env } });
  try {
    return await cache.materialize(refs);
  } catch (err) {
    ctx.log.warn(`cannot fetch the model of a finished run (${Object.values(refs).map((r) => r.uri).join(', ')}): ${(err as Error).message}; training it again`);
    return undefined;
  }
}
