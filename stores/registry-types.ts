/**
 * The model registry contract: versions of named models and the aliases that point at them.
 *
 * Alias life cycle (one version per alias, every alias points at an existing version):
 * - `register`: the new version becomes `champion` if the model has none, else `challenger` (replacing the
 *   previous challenger pointer; that version stays registered).
 * - `promote` (gated on a metric): old champion -> `prev_champion`, challenger -> `champion`, `challenger` dropped.
 * - `rollback`: `prev_champion` -> `champion`, the demoted champion -> `challenger` (so it can be re-promoted
 *   after a fix, and a second rollback is not possible by accident), `prev_champion` dropped.
 */

export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';
export const PREV_CHAMPION = 'prev_champion';

export interface ModelVersion {
  readonly name: string;
  /** 1..n per model. */
  readonly version: number;
  /** Absolute directory holding the version's files (`<registryDir>/<name>/v<N>`). */
  readonly artifactDir: string;
  /** Absolute path of the model file inside `artifactDir` (e.g. `.../v3/model.onnx`). */
  readonly modelFile: string;
  /** sha256 of the model file, computed at registration. */
  readonly sha256: string;
  readonly size: number;
  readonly createdAt: number;
  /** Where the version came from: dataset version, experiment, run id, pipeline hash, git commit, ... */
  readonly lineage: Readonly<Record<string, unknown>>;
  /** e.g. `{ "test.accuracy": 0.74, "test.macro_f1": 0.71 }`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Aliases pointing at this version, sorted. */
  readonly aliases: readonly string[];
}

export interface RegisteredModel {
  readonly name: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly latestVersion: number;
  readonly aliases: Readonly<Record<string, number>>;
}

export interface RegisterOptions {
  readonly name: string;
  /** Directory with `model.onnx`, `labels.json`, `preprocessing.json`, ...; copied whole. */
  readonly sourceDir: string;
  readonly lineage?: Readonly<Record<string, unknown>>;
  readonly metrics?: Readonly<Record<string, number>>;
  /** Name of the model file inside `sourceDir`. Default `model.onnx`. */
  readonly modelFile?: string;
}

export interface PromoteOptions {
  /** Metric compared between challenger and champion, e.g. `test.accuracy`. */
  readonly metric: string;
  /** The challenger must beat the champion by strictly more than this. */
  readonly minDelta: number;
  /** Default true; false for losses. */
  readonly higherIsBetter?: boolean;
  /** Promote even if the gate refuses or a metric is missing. */
  readonly force?: boolean;
}

export interface PromoteResult {
  readonly champion: number;
  /** The demoted champion, if there was one. */
  readonly prevChampion?: number;
  readonly challengerValue?: number;
  readonly championValue?: number;
  /** True when the gate would have refused and `force` overrode it. */
  readonly forced: boolean;
}

export interface RollbackResult {
  readonly champion: number;
  /** The demoted champion, now `challenger`. */
  readonly challenger?: number;
}

export interface AliasEvent {
  readonly name: string;
  readonly alias: string;
  /** Version before and after; null when the alias did not exist / was deleted. */
  readonly fromVersion: number | null;
  readonly toVersion: number | null;
  /** `register`, `promote`, `rollback`, `set`, `delete`. */
  readonly reason: string;
  readonly ts: number;
}

export interface RegistryStore {
  /** Copies `sourceDir` into the registry and records the version and its alias in one immediate transaction. */
  register(opts: RegisterOptions): ModelVersion;
  /** `ref` is a version number (`3`, `"3"`, `"v3"`), `latest`, or an alias. */
  resolve(name: string, ref: string | number): ModelVersion | undefined;
  listModels(): RegisteredModel[];
  listVersions(name: string): ModelVersion[];
  aliases(name: string): Record<string, number>;
  promote(name: string, opts: PromoteOptions): PromoteResult;
  rollback(name: string): RollbackResult;
  setAlias(name: string, alias: string, version: number): void;
  /** Returns false if the alias did not exist. */
  deleteAlias(name: string, alias: string): boolean;
  /** Increases on every alias change of the model (0 for an unknown model): cheap to poll for hot swaps. */
  aliasGeneration(name: string): number;
  /** Alias changes, newest first. */
  history(name: string, limit?: number): AliasEvent[];
}
