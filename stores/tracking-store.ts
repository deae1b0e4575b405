/**
 * SQLite implementation of the tracking store. Every multi-statement change is one transaction, so a run is
 * never half-written; `endRun` writes the final status and the last metrics together.
 */
import os from 'node:os';
import { migrate, type Db } from './db.ts';
import { TRACKING_MIGRATIONS } from './tracking-schema.ts';
import { isProcessAlive, newRunId, systemClock, type Clock } from './common.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from './errors.ts';
import {
  CONFIG_HASH_TAG, RUN_STATUSES, type ArtifactRecord, type EndRunOptions, type Experiment, type ListRunsFilter,
  type Metric, type MetricPoint, type ParamValue, type RecoverOptions, type RunDetail, type RunInfo, type RunRecord,
  type RunStatus, type StartRunOptions, type TrackingStore,
} from './tracking-types.ts';

export * from './tracking-types.ts';


const DAY_MS = 24 * 60 * 60 * 1000;

interface RunRow {
  run_id: string; experiment_id: number; name: string; status: RunStatus; start_time: number; end_time: number | null;
  updated_at: number; parent_run_id: string | null; pid: number; host: string; error: string | null;
}
interface MetricRow { key: string; step: number; value: number | null; timestamp: number }
interface ExperimentRow { id: number; name: string; created_at: number; last_update_time: number }

export interface SqliteTrackingStoreOptions {
  readonly now?: Clock;
  /** Owner identity recorded on new runs (defaults: this process and host). */
  readonly pid?: number;
  readonly host?: string;
}

export class SqliteTrackingStore implements TrackingStore {
  readonly #db: Db;
  readonly #now: Clock;
  readonly #pid: number;
  readonly #host: string;

  constructor(db: Db, opts: SqliteTrackingStoreOptions = {}) {
    migrate(db, 'tracking', TRACKING_MIGRATIONS);
    this.#db = db;
    this.#now = opts.now ?? systemClock;
    this.#pid = opts.pid ?? process.pid;
    this.#host = opts.host ?? os.hostname();
  }

  getOrCreateExperiment(name: string, tags: Readonly<Record<string, string>> = {}): Experiment {
    if (!name.trim()) throw new InvalidInputError('TRACKING_INVALID_INPUT', 'experiment name must not be empty');
    const db = this.#db;
    db.transaction(() => {
      const now = this.#now();
      db.prepare('INSERT INTO experiments (name, created_at, last_update_time) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
        .run(name, now, now);
      const { id } = db.prepare('SELECT id FROM experiments WHERE name = ?').get(name) as { id: number };
      const upsert = db.prepare(
        'INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value',
      );
      for (const [k, v] of Object.entries(tags)) upsert.run(id, k, String(v));
    }).immediate();
    return this.getExperiment(name)!;
  }

  getExperiment(idOrName: number | string): Experiment | undefined {
    const row = (typeof idOrName === 'number'
      ? this.#db.prepare('SELECT * FROM experiments WHERE id = ?').get(idOrName)
      : this.#db.prepare('SELECT * FROM experiments WHERE name = ?').get(idOrName)) as ExperimentRow | undefined;
    return row && this.#experiment(row);
  }

  listExperiments(): Experiment[] {
    const rows = this.#db.prepare('SELECT * FROM experiments ORDER BY id').all() as ExperimentRow[];
    return rows.map((r) => this.#experiment(r));
  }

  startRun(opts: StartRunOptions): string {
    const db = this.#db;
    if (!this.getExperiment(opts.experimentId)) {
      throw new NotFoundError('TRACKING_UNKNOWN_EXPERIMENT', `no experiment with id ${opts.experimentId}: create it with getOrCreateExperiment first`);
    }
    if (opts.parentRunId !== undefined) this.#row(opts.parentRunId);
    const runId = newRunId();
    const start = opts.startTime ?? this.#now();
    db.transaction(() => {
      db.prepare(
        `INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time, updated_at, parent_run_id, pid, host, error)
         VALUES (?, ?, ?, 'running', ?, NULL, ?, ?, ?, ?, NULL)`,
      ).run(runId, opts.experimentId, opts.name, start, start, opts.parentRunId ?? null, this.#pid, this.#host);
      this.#writeParams(runId, opts.params ?? {});
      this.#writeTags(runId, opts.tags ?? {});
      db.prepare('UPDATE experiments SET last_update_time = ? WHERE id = ?').run(start, opts.experimentId);
    }).immediate();
    return runId;
  }

  logMetrics(runId: string, points: readonly MetricPoint[]): void {
    this.#db.transaction(() => {
      this.#activeRow(runId);
      this.#writeMetrics(runId, points);
      this.#touch(runId);
    }).immediate();
  }

  logParams(runId: string, params: Readonly<Record<string, ParamValue>>): void {
    this.#db.transaction(() => {
      this.#activeRow(runId);
      this.#writeParams(runId, params);
      this.#touch(runId);
    }).immediate();
  }

  setTags(runId: string, tags: Readonly<Record<string, string>>): void {
    this.#db.transaction(() => {
      this.#activeRow(runId);
      this.#writeTags(runId, tags);
      this.#touch(runId);
    }).immediate();
  }

  logArtifact(runId: string, artifact: ArtifactRecord): void {
    this.#db.transaction(() => {
      this.#activeRow(runId);
      this.#db.prepare(
        'INSERT INTO run_artifacts (run_id, path, sha256, size) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size',
      ).run(runId, artifact.path, artifact.sha256, artifact.size);
      this.#touch(runId);
    }).immediate();
  }

  endRun(runId: string, status: Exclude<RunStatus, 'running'>, final: EndRunOptions = {}): void {
    if (!RUN_STATUSES.includes(status) || status === ('running' as RunStatus)) {
      throw new InvalidInputError('TRACKING_INVALID_STATUS', `cannot end a run with status '${status}': use finished, failed or killed`);
    }
    this.#db.transaction(() => {
      this.#activeRow(runId);
      this.#writeMetrics(runId, final.metrics ?? []);
      this.#writeTags(runId, final.tags ?? {});
      const end = final.endTime ?? this.#now();
      this.#db.prepare('UPDATE runs SET status = ?, end_time = ?, updated_at = ?, error = ? WHERE run_id = ?')
        .run(status, end, end, final.error ?? null, runId);
    }).immediate();
  }

  listRuns(filter: ListRunsFilter = {}): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.experiment !== undefined) {
      const exp = this.getExperiment(filter.experiment);
      if (!exp) return [];
      where.push('experiment_id = ?');
      args.push(exp.id);
    }
    if (filter.status !== undefined) {
      const statuses: readonly RunStatus[] = typeof filter.status === 'string' ? [filter.status] : filter.status;
      if (statuses.length === 0) return [];
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      args.push(...statuses);
    }
    if (filter.parentRunId !== undefined) { where.push('parent_run_id = ?'); args.push(filter.parentRunId); }
    if (filter.name !== undefined) { where.push('name = ?'); args.push(filter.name); }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_time, run_id`;
    return this.#db.transaction(() => (this.#db.prepare(sql).all(...args) as RunRow[]).map((r) => this.#record(r).record))();
  }

  getRun(runIdOrName: string, opts: { experiment?: number | string } = {}): RunDetail | undefined {
    return this.#db.transaction(() => {
      let row = /^[0-9a-f]{32}$/.test(runIdOrName)
        ? (this.#db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runIdOrName) as RunRow | undefined)
        : undefined;
      if (!row) {
        const exp = opts.experiment !== undefined ? this.getExperiment(opts.experiment) : undefined;
        if (opts.experiment !== undefined && !exp) return undefined;
        row = (exp
          ? this.#db.prepare('SELECT * FROM runs WHERE name = ? AND experiment_id = ? ORDER BY start_time DESC, run_id DESC LIMIT 1').get(runIdOrName, exp.id)
          : this.#db.prepare('SELECT * FROM runs WHERE name = ? ORDER BY start_time DESC, run_id DESC LIMIT 1').get(runIdOrName)) as RunRow | undefined;
      }
      return row && this.#detail(row);
    })();
  }

  findFinishedRun(experimentId: number, name: string, configHash: string): RunDetail | undefined {
    return this.#db.transaction(() => {
      const row = this.#db.prepare(
        `SELECT r.* FROM runs r JOIN run_tags t ON t.run_id = r.run_id AND t.key = ?
         WHERE r.experiment_id = ? AND r.name = ? AND r.status = 'finished' AND t.value = ?
         ORDER BY r.end_time DESC, r.run_id DESC LIMIT 1`,
      ).get(CONFIG_HASH_TAG, experimentId, name, configHash) as RunRow | undefined;
      return row && this.#detail(row);
    })();
  }

  recoverOrphans(opts: RecoverOptions = {}): number {
    const timeout = opts.foreignHostTimeoutMs ?? DAY_MS;
    const db = this.#db;
    // Most opens find nothing running: do not take the write lock for nothing.
    if (!db.prepare("SELECT 1 FROM runs WHERE status = 'running' LIMIT 1").get()) return 0;
    return db.transaction(() => {
      const now = this.#now();
      const running = db.prepare("SELECT * FROM runs WHERE status = 'running'").all() as RunRow[];
      const update = db.prepare(
        "UPDATE runs SET status = 'killed', end_time = ?, updated_at = ?, error = ? WHERE run_id = ? AND status = 'running'",
      );
      let killed = 0;
      for (const r of running) {
        const dead = r.host === this.#host ? !isProcessAlive(r.pid) : now - r.updated_at > timeout;
        if (!dead) continue;
        const why = r.host === this.#host
          ? `owner process ${r.pid} on ${r.host} is gone (crashed or was killed); marked killed at open`
          : `owner process ${r.pid} on ${r.host} has shown no activity for over ${Math.round(timeout / 3_600_000)} h; marked killed at open`;
        killed += update.run(now, now, why, r.run_id).changes;
      }
      return killed;
    }).immediate();
  }

  #experiment(row: ExperimentRow): Experiment {
    const tags = this.#db.prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key').all(row.id) as { key: string; value: string }[];
    return {
      id: row.id, name: row.name, createdAt: row.created_at, lastUpdateTime: row.last_update_time,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    };
  }

  #row(runId: string): RunRow {
    const row = this.#db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow | undefined;
    if (!row) throw new NotFoundError('TRACKING_UNKNOWN_RUN', `no run with id '${runId}': list runs with 'pipeline runs'`);
    return row;
  }

  #activeRow(runId: string): RunRow {
    const row = this.#row(runId);
    if (row.status !== 'running') {
      throw new InvalidStateError('TRACKING_RUN_NOT_ACTIVE', `run '${row.name}' (${runId}) is ${row.status}${row.error ? ` (${row.error})` : ''}: start a new run to log more`);
    }
    return row;
  }

  #touch(runId: string): void {
    this.#db.prepare('UPDATE runs SET updated_at = ? WHERE run_id = ?').run(this.#now(), runId);
  }

  #writeMetrics(runId: string, points: readonly MetricPoint[]): void {
    const insert = this.#db.prepare('INSERT INTO run_metrics (run_id, key, step, value, timestamp) VALUES (?, ?, ?, ?, ?)');
    const now = this.#now();
    for (const p of points) {
      if (!p.key) throw new InvalidInputError('TRACKING_INVALID_INPUT', `metric with empty key logged to run ${runId}`);
      if (!Number.isInteger(p.step)) throw new InvalidInputError('TRACKING_INVALID_INPUT', `metric '${p.key}' has non-integer step ${p.step}`);
      insert.run(runId, p.key, p.step, Number.isNaN(p.value) ? null : p.value, p.timestamp ?? now);
    }
  }

  #writeParams(runId: string, params: Readonly<Record<string, ParamValue>>): void {
    const upsert = this.#db.prepare('INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value');
    for (const [k, v] of Object.entries(params)) upsert.run(runId, k, String(v));
  }

  #writeTags(runId: string, tags: Readonly<Record<string, string>>): void {
    const upsert = this.#db.prepare('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value');
    for (const [k, v] of Object.entries(tags)) upsert.run(runId, k, String(v));
  }

  #record(row: RunRow): { record: RunRecord; series: Record<string, Metric[]> } {
    const kv = (sql: string) =>
      Object.fromEntries((this.#db.prepare(sql).all(row.run_id) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    const metricRows = this.#db.prepare('SELECT key, step, value, timestamp FROM run_metrics WHERE run_id = ? ORDER BY key, step, timestamp, id')
      .all(row.run_id) as MetricRow[];
    const series: Record<string, Metric[]> = {};
    for (const m of metricRows) {
      (series[m.key] ??= []).push({ key: m.key, step: m.step, value: m.value ?? Number.NaN, timestamp: m.timestamp });
    }
    const metrics = Object.fromEntries(Object.entries(series).map(([k, s]) => [k, s[s.length - 1]]));
    const info: RunInfo = {
      runId: row.run_id, experimentId: row.experiment_id, name: row.name, status: row.status, startTime: row.start_time,
      endTime: row.end_time, parentRunId: row.parent_run_id, pid: row.pid, host: row.host, error: row.error,
    };
    const record: RunRecord = {
      ...info,
      params: kv('SELECT key, value FROM run_params WHERE run_id = ? ORDER BY key'),
      tags: kv('SELECT key, value FROM run_tags WHERE run_id = ? ORDER BY key'),
      metrics,
    };
    return { record, series };
  }

  #detail(row: RunRow): RunDetail {
    const { record, series } = this.#record(row);
    const artifacts = this.#db.prepare('SELECT path, sha256, size FROM run_artifacts WHERE run_id = ? ORDER BY path').all(row.run_id) as ArtifactRecord[];
    return { ...record, series, artifacts };
  }
}
