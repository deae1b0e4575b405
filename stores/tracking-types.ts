/**
 * The tracking contract: experiments, runs, params, metric series, tags and artifacts. The SQLite class in
 * `tracking-store.ts` implements it; a PostgreSQL one can later implement the same interface.
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
  /** The process that owns a running run (crash recovery checks it). */
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
}

export interface RecoverOptions {
  /** A running run owned by another host is declared dead after this long without activity. Default: one day. */
  readonly foreignHostTimeoutMs?: number;
}

export interface TrackingStore {
  /** Creates the experiment if needed (race-free across processes); `tags` are upserted. */
  getOrCreateExperiment(name: string, tags?: Readonly<Record<string, string>>): Experiment;
  getExperiment(idOrName: number | string): Experiment | undefined;
  listExperiments(): Experiment[];
  /** Starts a run owned by this process; returns its 32-hex run id. */
  startRun(opts: StartRunOptions): string;
  /** Appends points (one transaction). The run must be `running`. */
  logMetrics(runId: string, points: readonly MetricPoint[]): void;
  logParams(runId: string, params: Readonly<Record<string, ParamValue>>): void;
  setTags(runId: string, tags: Readonly<Record<string, string>>): void;
  logArtifact(runId: string, artifact: ArtifactRecord): void;
  /** Writes the final status with the last metrics and tags in one transaction. */
  endRun(runId: string, status: Exclude<RunStatus, 'running'>, final?: EndRunOptions): void;
  listRuns(filter?: ListRunsFilter): RunRecord[];
  /** By run id, else the most recent run with that name (optionally within one experiment). */
  getRun(runIdOrName: string, opts?: { experiment?: number | string }): RunDetail | undefined;
  /** The most recent `finished` run of this name whose `config_hash` tag equals `configHash`. */
  findFinishedRun(experimentId: number, name: string, configHash: string): RunDetail | undefined;
  /** Marks running runs whose owner is gone as `killed`; returns how many. */
  recoverOrphans(opts?: RecoverOptions): number;
}
