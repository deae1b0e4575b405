/**
 * The tracking contract: experiments, runs, params, metric series, tags and artifacts. `tracking-store.ts`
 * implements it on the SQL layer (SQLite or PostgreSQL); every method returns a Promise.
 */

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'killed'];

/** The tag a training stage sets to the hash of its effective configuration (see `findFinishedRun`). */
export const CONFIG_HASH_TAG = 'config_hash';

export interface Experiment {
  readonly id: number;
  readonly name: string;
  /** ms since epoch. */
  readonly createdAt: number;
  readonly lastUpdateTime: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** One point of a metric series as logged; `timestamp` defaults to now. */
export interface MetricPoint {
  readonly key: string;
  readonly value: number;
  readonly step: number;
  readonly timestamp?: number;
}

export interface Metric {
  readonly key: string;
  /** NaN is kept (stored as NULL). */
  readonly value: number;
  readonly step: number;
  readonly timestamp: number;
}

export interface ArtifactRecord {
  /** Relative to the project's artifact root, or absolute. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

export interface RunInfo {
  /** 32 hex characters, like MLflow. */
  readonly runId: string;
  readonly experimentId: number;
  /** e.g. `mlp_c2_fold1`; not unique (reruns keep their name). */
  readonly name: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly parentRunId: string | null;
  /** The process that owns a running run (shown to people; recovery goes by the lease). */
  readonly pid: number;
  readonly host: string;
  readonly error: string | null;
}

/** A run with its params, tags and the latest point of each metric. */
export interface RunRecord extends RunInfo {
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Latest point per key (largest step, then timestamp, then logging order). */
  readonly metrics: Readonly<Record<string, Metric>>;
}

/** A run with everything: full metric series (sorted by step, timestamp, logging order) and artifacts. */
export interface RunDetail extends RunRecord {
  readonly series: Readonly<Record<string, readonly Metric[]>>;
  readonly artifacts: readonly ArtifactRecord[];
}

export type ParamValue = string | number | boolean;

export interface StartRunOptions {
  readonly experimentId: number;
  readonly name: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly parentRunId?: string;
  /** Defaults to the store's clock. */
  readonly startTime?: number;
}

/** What `endRun` writes together with the final status, in the same transaction. */
export interface EndRunOptions {
  readonly error?: string;
  readonly metrics?: readonly MetricPoint[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly endTime?: number;
}

export interface ListRunsFilter {
  /** Experiment id or name. */
  readonly experiment?: number | string;
  readonly status?: RunStatus | readonly RunStatus[];
  readonly parentRunId?: string;
  readonly name?: string;
  /**
   * Only the newest attempt of each run name per experiment (a retried run replaces its killed or failed twin).
   * Default false: every attempt.
   */
  readonly latestAttempts?: boolean;
  /** Also load every metric series (one query for all runs, not one per run). */
  readonly withSeries?: boolean;
  /** Also load the artifacts (one query for all runs). */
  readonly withArtifacts?: boolean;
}

/** A listed run, with its series when `withSeries` was asked, and how many attempts its name has. */
export interface ListedRun extends RunRecord {
  readonly series?: Readonly<Record<string, readonly Metric[]>>;
  readonly artifacts?: readonly ArtifactRecord[];
  /** Attempts of this run name in its experiment (1 when it never was retried). */
  readonly attempts: number;
}

export interface RecoverOptions {
  /** Clock value to compare leases with (default: the store's clock). */
  readonly now?: number;
}

export interface TrackingStore {
  /** Creates the experiment if needed (race-free across processes); `tags` are upserted. */
  getOrCreateExperiment(name: string, tags?: Readonly<Record<string, string>>): Promise<Experiment>;
  getExperiment(idOrName: number | string): Promise<Experiment | undefined>;
  listExperiments(): Promise<Experiment[]>;
  /**
   * Starts a run owned by this process with a heartbeat lease (renewed in the background until `endRun`);
   * returns its 32-hex run id.
   */
  startRun(opts: StartRunOptions): Promise<string>;
  /** Appends points (one transaction). The run must be `running`. */
  logMetrics(runId: string, points: readonly MetricPoint[]): Promise<void>;
  logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void>;
  setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  logArtifact(runId: string, artifact: ArtifactRecord): Promise<void>;
  /** Writes the final status with the last metrics and tags in one transaction. */
  endRun(runId: string, status: Exclude<RunStatus, 'running'>, final?: EndRunOptions): Promise<void>;
  listRuns(filter?: ListRunsFilter): Promise<ListedRun[]>;
  /** By run id, else the most recent run with that name (optionally within one experiment). */
  getRun(runIdOrName: string, opts?: { experiment?: number | string }): Promise<RunDetail | undefined>;
  /** The most recent `finished` run of this name whose `config_hash` tag equals `configHash`. */
  findFinishedRun(experimentId: number, name: string, configHash: string): Promise<RunDetail | undefined>;
  /**
   * Marks `running` runs whose heartbeat lease expired (or, on this host, whose owner pid is gone) as `killed`;
   * returns how many.
   */
  recoverOrphans(opts?: RecoverOptions): Promise<number>;
  /** Stops the heartbeats of this store's runs (they then expire like a crashed process's). */
  close(): void;
}
