/**
 * Where models come from: a port, so the server never reads the registry's tables itself. The serve stage adapts
 * the registry store to it; tests and the benchmark use `staticModelSource` over plain directories.
 */
import path from 'node:path';

/** A concrete, registered model version and its files. */
export interface ResolvedModel {
  readonly name: string;
  readonly version: number;
  /** The alias the reference resolved through (null when a version was asked for directly). */
  readonly alias: string | null;
  /** Directory holding `labels.json` and `preprocessing.json` (and usually the ONNX file). */
  readonly dir: string;
  /** The ONNX file: absolute, or relative to `dir`. */
  readonly modelFile: string;
  /** Expected sha256 (hex) of the ONNX file; loading fails when the file differs. */
  readonly sha256: string;
}

export interface ModelSource {
  /** Resolve the model reference (alias or version) to a concrete version with its files. */
  resolve(name: string, ref: string): Promise<ResolvedModel | undefined>;
  /** Cheap value that changes whenever aliases of `name` move (poll it). */
  generation(name: string): Promise<number>;
}

export function modelFilePath(m: ResolvedModel): string {
  return path.resolve(m.dir, m.modelFile);
}

/** One registered version as `staticModelSource` holds it. */
export interface StaticVersion {
  readonly version: number;
  readonly dir: string;
  readonly modelFile: string;
  readonly sha256: string;
}

/**
 * An in-memory source: versions and aliases set by code (tests, the benchmark, `pipeline serve --model-dir`).
 * `setAlias` bumps the generation like a registry promotion would.
 */
export function staticModelSource(name: string, versions: readonly StaticVersion[], aliases: Record<string, number>) {
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  const aliasMap = new Map(Object.entries(aliases));
  let generation = 0;
  const source: ModelSource & {
    setAlias(alias: string, version: number): void;
    addVersion(v: StaticVersion): void;
  } = {
    async resolve(n, ref) {
      if (n !== name) return undefined;
      const viaAlias = aliasMap.get(ref);
      const version = viaAlias ?? (/^v?\d+$/.test(ref) ? Number(ref.replace(/^v/, '')) : undefined);
      const v = version === undefined ? undefined : byVersion.get(version);
      return v && { name, version: v.version, alias: viaAlias === undefined ? null : ref, dir: v.dir, modelFile: v.modelFile, sha256: v.sha256 };
    },
    async generation() {
      return generation;
    },
    setAlias(alias, version) {
      aliasMap.set(alias, version);
      generation++;
    },
    addVersion(v) {
      byVersion.set(v.version, v);
    },
  };
  return source;
}
