/**
 * The model registry as the server's model source (the server never reads the registry's tables itself). A
 * version whose files are recorded in an artifact store (`lineage.artifacts`) is materialised into the local
 * cache first, verified by sha256, so a server on any machine loads exactly the registered bytes.
 */
import path from 'node:path';
import { ArtifactCache, materializeModel, modelArtifactsOf } from '../../artifacts/index.ts';
import type { StepContext } from '../../runner/context.ts';
import type { ModelSource } from '../../server/index.ts';
import type { RegistryStore } from '../../stores/index.ts';
import { artifactsSection } from '../sections/artifacts.ts';

/** The cache `artifacts.cache` names (the serve step lists the section in its `reads`). */
export function artifactCache(ctx: StepContext): ArtifactCache {
  const section = ctx.section(artifactsSection);
  return new ArtifactCache({ dir: ctx.resolvePath(section.cache), ctx: { workdir: ctx.paths.workdir, env: process.env } });
}

export function registrySource(registry: RegistryStore, cache?: ArtifactCache): ModelSource {
  return {
    async resolve(name, ref) {
      const v = await registry.resolve(name, ref);
      if (!v) return undefined;
      const isVersion = /^v?\d+$/.test(ref);
      const artifacts = cache && modelArtifactsOf(v.lineage);
      // Versions registered before the artifact store existed keep loading from the registry's directory.
      const dir = artifacts ? await materializeModel(artifacts, cache!) : v.artifactDir;
      const modelFile = artifacts ? path.join(dir, path.basename(v.modelFile)) : v.modelFile;
      return { name: v.name, version: v.version, alias: isVersion ? null : ref, dir, modelFile, sha256: v.sha256 };
    },
    async generation(name) {
      return await registry.aliasGeneration(name);
    },
  };
}
