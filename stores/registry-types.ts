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

import type { ModelArtifacts } from '../artifacts/model-artifacts.ts';

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
  readonly lineage: ModelLineage;
  /** e.g. `{ "test.accuracy": 0.74, "test.macro_f1": 0.71 }`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Aliases pointing at this version, sorted. */
  readonly aliases: readonly string[];
}

/**
 * Where a version came from. Typed field by field (snake_case, as stored) so that a reader cannot ask for a
 * key nobody writes: the MLflow export once read `runId` while the register step wrote `run_id`.
 */
export interface ModelLineage {
  readonly dataset_version?: string;
  readonly experiment?: string;
  /** The tracking run whose model this is (the refit run when refit is on). */
  readonly run_id?: string;
  /** The tracking run that recorded the selection. */
  readonly selection_run_id?: string;
  readonly architecture?: string;
  readonly family?: string;
  readonly combination?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly refit?: boolean;
  readonly pipeline_file?: string;
  readonly pipeline_file_sha256?: string;
  readonly resolved_config_sha256?: string;
  readonly git_commit?: string | null;
  readonly parity_max_abs_diff?: number;
  /** The version's files in the artifact store (URIs and sha256): what a server fetches into its cache. */
  readonly artifacts?: ModelArtifacts;
  /** Anything else a caller wants kept with the version. */
  readonly extra?: Readonly<Record<string, unknown>>;
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
  readonly lineage?: ModelLineage;
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

/** What `registerUnlessPresent` did. */
export interface RegisterOutcome {
  readonly version: ModelVersion;
  /** False when a version with the same model-file sha256 was already registered (nothing was added). */
  readonly created: boolean;
}

export interface RegistryStore {
  /**
   * Copies `sourceDir` into the registry and records the version and its alias in one transaction that holds
   * the model's row lock, so concurrent registrations get distinct versions.
   */
  register(opts: RegisterOptions): Promise<ModelVersion>;
  /**
   * Like `register`, unless a version of the model has the same model-file sha256: then that version is returned.
   * The check and the insert happen under the same row lock, so two processes cannot both register it.
   */
  registerUnlessPresent(opts: RegisterOptions): Promise<RegisterOutcome>;
  /** `ref` is a version number (`3`, `"3"`, `"v3"`), `latest`, or an alias. */
  resolve(name: string, ref: string | number): Promise<ModelVersion | undefined>;
  /** Whether a model of this name is registered. */
  hasModel(name: string): Promise<boolean>;
  listModels(): Promise<RegisteredModel[]>;
  listVersions(name: string): Promise<ModelVersion[]>;
  /** Every version of every model, one query (for listings and exports). */
  listAllVersions(): Promise<ModelVersion[]>;
  aliases(name: string): Promise<Record<string, number>>;
  promote(name: string, opts: PromoteOptions): Promise<PromoteResult>;
  rollback(name: string): Promise<RollbackResult>;
  setAlias(name: string, alias: string, version: number): Promise<void>;
  /** Returns false if the alias did not exist. */
  deleteAlias(name: string, alias: string): Promise<boolean>;
  /** Increases on every alias change of the model (0 for an unknown model): cheap to poll for hot swaps. */
  aliasGeneration(name: string): Promise<number>;
  /** Alias changes, newest first. */
  history(name: string, limit?: number): Promise<AliasEvent[]>;
}
