/** The model registry as the server's model source (the server never reads the registry's tables itself). */
import type { ModelSource } from '../../server/index.ts';
import type { RegistryStore } from '../../stores/index.ts';

export function registrySource(registry: RegistryStore): ModelSource {
  return {
    async resolve(name, ref) {
      const v = await registry.resolve(name, ref);
      if (!v) return undefined;
      const isVersion = /^v?\d+$/.test(ref);
      return { name: v.name, version: v.version, alias: isVersion ? null : ref, dir: v.artifactDir, modelFile: v.modelFile, sha256: v.sha256 };
    },
    async generation(name) {
      return registry.aliasGeneration(name);
    },
  };
}
