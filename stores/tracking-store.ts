/**
 * The tracking store on the SQL layer (SQLite or PostgreSQL). Every multi-statement change is one transaction,
 * so a run is never half-written; `endRun` writes the final status and the last metrics together. Listing reads
 * params, tags and metrics of all listed runs with one query each (no per-run queries).
 *
 * Crash recovery goes by heartbeat leases: a run's owner renews `lease_expires_at` in the background while the
 * run is active; a `running` run whose lease expired is marked `killed` by the next store open, whatever host
 * or pod it ran on. On the owner's own host a gone pid is taken as dead at once (pids are meaningful there).
 */
import os from 'node:os';
import type { SqlClient, SqlQueryable, SqlValue } from './sql/index.ts';
import { isProcessAlive, newRunId, systemClock, type Clock } from './common.ts';
import { loadArtifacts, loadRecords, type RunRow } from './tracking-records.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from './errors.ts';
import {
  CONFIG_HASH_TAG, RUN_STATUSES, type ArtifactRecord, type EndRunOptions, type Experiment, type ListedRun, type ListRunsFilter,
  type MetricPoint, type ParamValue, type RecoverOptions, type RunDetail, type RunStatus, type StartRunOptions, type TrackingStore,
} from './tracking-types.ts';

export * from './tracking-types.ts';

interface ExperimentRow { id: number; name: string; created_at: number; last_update_time: number }

export interface TrackingStoreOptions {
  readonly now?: Clock;
  /** Owner identity recorded on new runs (defaults: this process and host). */
  readonly pid?: number;
  readonly host?: string;
  /** How long a run stays alive without a heartbeat. Default 120 s; renewed every third of it. */
  readonly leaseMs?: number;
}

export class SqlTrackingStore implements TrackingStore {
  readonly #db: SqlClient;
  readonly #now: Clock;
  readonly #pid: number;
  readonly #host: string;
  readonly #leaseMs: number;
  /** Runs this store started and has not ended: their leases are renewed. */
  readonly #active = new Set<string>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(db: SqlClient, opts: TrackingStoreOptions = {}) {
    this.#db = db;
    this.#now = opts.now ?? systemClock;
    this.#pid = opts.pid ?? process.pid;
    this.#host = opts.host ?? os.hostname();
    this.#leaseMs = opts.leaseMs ?? 120_000;
  }

  async getOrCreateExperiment(name: string, tags: Readonly<Record<string, string>> = {}): Promise<Experiment> {
    if (!name.trim()) throw new InvalidInputError('TRACKING_INVALID_INPUT', 'experiment name must not be empty');
    await this.#db.transaction(async (tx) => {
      const now = this.#now();
      await tx.exec('INSERT INTO experiments (name, created_at, last_update_time) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', [name, now, now]);
      const { id } = (await tx.one<{ id: number }>('SELECT id FROM experiments WHERE name = ?', [name]))!;
      const rows = Object.entries(tags).map(([k, v]) => [id, k, String(v)]);
      await tx.execMany('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value', rows);
    });
    return (await this.getExperiment(name))!;
  }

  async getExperiment(idOrName: number | string): Promise<Experiment | undefined> {
    const row = typeof idOrName === 'number'
      ? await this.#db.one<ExperimentRow>('SELECT * FROM experiments WHERE id = ?', [idOrName])
      : await this.#db.one<ExperimentRow>('SELECT * FROM experiments WHERE name = ?', [idOrName]);
    return row && (await this.#experiments(this.#db, [row]))[0];
  }

  async listExperiments(): Promise<Experiment[]> {
    return this.#db.transaction(async (tx) => this.#experiments(tx, await tx.query<ExperimentRow>('SELECT * FROM experiments ORDER BY id')), { readOnly: true });
  }

  async startRun(opts: StartRunOptions): Promise<string> {
    const runId = newRunId();
    const start = opts.startTime ?? this.#now();
    await this.#db.transaction(async (tx) => {
      if (!(await tx.one('SELECT 1 AS x FROM experiments WHERE id = ?', [opts.experimentId]))) {
        throw new NotFoundError('TRACKING_UNKNOWN_EXPERIMENT', `no experiment with id ${opts.experimentId}: create it with getOrCreateExperiment first`);
      }
      if (opts.parentRunId !== undefined) await this.#row(tx, opts.parentRunId);
      await tx.exec(
        `INSERT INTO runs (run_id, experiment_id, name, status, start_time, end_time, updated_at, parent_run_id, pid, host, error, lease_expires_at)
         VALUES (?, ?, ?, 'running', ?, NULL, ?, ?, ?, ?, NULL, ?)`,
        [runId, opts.experimentId, opts.name, start, start, opts.parentRunId ?? null, this.#pid, this.#host, this.#now() + this.#leaseMs],
      );
      await this.#writeParams(tx, runId, opts.params ?? {});
      await this.#writeTags(tx, runId, opts.tags ?? {});
      await tx.exec('UPDATE experiments SET last_update_time = ? WHERE id = ?', [start, opts.experimentId]);
    });
    this.#active.add(runId);
    this.#startHeartbeat();
    return runId;
  }

  async logMetrics(runId: string, points: readonly MetricPoint[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#activeRow(tx, runId);
      await this.#writeMetrics(tx, runId, points);
      await this.#touch(tx, runId);
    });
  }

  async logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#activeRow(tx, runId);
      await this.#writeParams(tx, runId, params);
      await this.#touch(tx, runId);
    });
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#activeRow(tx, runId);
      await this.#writeTags(tx, runId, tags);
      await this.#touch(tx, runId);
    });
  }

  async logArtifact(runId: string, artifact: ArtifactRecord): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await this.#activeRow(tx, runId);
      await tx.exec(
        'INSERT INTO run_artifacts (run_id, path, sha256, size) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size',
        [runId, artifact.path, artifact.sha256, artifact.size],
      );
      await this.#touch(tx, runId);
    });
  }

  async endRun(runId: string, status: Exclude<RunStatus, 'running'>, final: EndRunOptions = {}): Promise<void> {
    if (!RUN_STATUSES.includes(status) || status === ('running' as RunStatus)) {
      throw new InvalidInputError('TRACKING_INVALID_STATUS', `cannot end a run with status '${status}': use finished, failed or killed`);
    }
    await this.#db.transaction(async (tx) => {
      await this.#activeRow(tx, runId);
      await this.#writeMetrics(tx, runId, final.metrics ?? []);
      await this.#writeTags(tx, runId, final.tags ?? {});
      const end = final.endTime ?? this.#now();
      await tx.exec('UPDATE runs SET status = ?, end_time = ?, updated_at = ?, error = ?, lease_expires_at = NULL WHERE run_id = ?', [status, end, end, final.error ?? null, runId]);
    });
    this.#active.delete(runId);
  }

  async listRuns(filter: ListRunsFilter = {}): Promise<ListedRun[]> {
    return this.#db.transaction(async (tx) => {
      const where: string[] = [];
      const args: SqlValue[] = [];
      if (filter.experiment !== undefined) {
        const exp = typeof filter.experiment === 'number'
          ? await tx.one<{ id: number }>('SELECT id FROM experiments WHERE id = ?', [filter.experiment])
          : await tx.one<{ id: number }>('SELECT id FROM experiments WHERE name = ?', [filter.experiment]);
        if (!exp) return [];
        where.push('r.experiment_id = ?');
        args.push(exp.id);
      }
      if (filter.status !== undefined) {
        const statuses: readonly RunStatus[] = typeof filter.status === 'string' ? [filter.status] : filter.status;
        if (statuses.length === 0) return [];
        where.push(`r.status IN (${statuses.map(() => '?').join(', ')})`);
        args.push(...statuses);
      }
      if (filter.parentRunId !== undefined) { where.push('r.parent_run_id = ?'); args.push(filter.parentRunId); }
      if (filter.name !== undefined) { where.push('r.name = ?'); args.push(filter.name); }
      // Attempts are counted over every run of the name, whatever the other filters select.
      const rows = await tx.query<RunRow & { attempts: number; attempt_rank: number }>(
        `SELECT r.*, a.attempts, a.attempt_rank FROM runs r JOIN (
           SELECT run_id, COUNT(*) OVER (PARTITION BY experiment_id, name) AS attempts,
                  ROW_NUMBER() OVER (PARTITION BY experiment_id, name ORDER BY start_time DESC, run_id DESC) AS attempt_rank
           FROM runs) a ON a.run_id = r.run_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.start_time, r.run_id`,
        args,
      );
      const kept = filter.latestAttempts ? rows.filter((r) => r.attempt_rank === 1) : rows;
      const built = await loadRecords(tx, kept);
      const artifacts = filter.withArtifacts ? await loadArtifacts(tx, kept.map((r) => r.run_id)) : undefined;
      return built.map(({ record, series }, i): ListedRun => ({
        ...record,
        attempts: kept[i].attempts,
        ...(filter.withSeries ? { series } : {}),
        ...(artifacts ? { artifacts: artifacts.get(record.runId) ?? [] } : {}),
      }));
    }, { readOnly: true });
  }

  async getRun(runIdOrName: string, opts: { experiment?: number | string } = {}): Promise<RunDetail | undefined> {
    return this.#db.transaction(async (tx) => {
      let row = /^[0-9a-f]{32}$/.test(runIdOrName) ? await tx.one<RunRow>('SELECT * FROM runs WHERE run_id = ?', [runIdOrName]) : undefined;
      if (!row) {
        let expId: number | undefined;
        if (opts.experiment !== undefined) {
          const exp = typeof opts.experiment === 'number'
            ? await tx.one<{ id: number }>('SELECT id FROM experiments WHERE id = ?', [opts.experiment])
            : await tx.one<{ id: number }>('SELECT id FROM experiments WHERE name = ?', [opts.experiment]);
          if (!exp) return undefined;
          expId = exp.id;
        }
        row = expId !== undefined
          ? await tx.one<RunRow>('SELECT * FROM runs WHERE name = ? AND experiment_id = ? ORDER BY start_time DESC, run_id DESC LIMIT 1', [runIdOrName, expId])
          : await tx.one<RunRow>('SELECT * FROM runs WHERE name = ? ORDER BY start_time DESC, run_id DESC LIMIT 1', [runIdOrName]);
      }
      return row && this.#detail(tx, row);
    }, { readOnly: true });
  }

  async findFinishedRun(experimentId: number, name: string, configHash: string): Promise<RunDetail | undefined> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.one<RunRow>(
        `SELECT r.* FROM runs r JOIN run_tags t ON t.run_id = r.run_id AND t.key = ?
         WHERE r.experiment_id = ? AND r.name = ? AND r.status = 'finished' AND t.value = ?
         ORDER BY r.end_time DESC, r.run_id DESC LIMIT 1`,
        [CONFIG_HASH_TAG, experimentId, name, configHash],
      );
      return row && this.#detail(tx, row);
    }, { readOnly: true });
  }

  async recoverOrphans(opts: RecoverOptions = {}): Promise<number> {
    // Most opens find nothing running: do not take the write lock for nothing.
    if (!(await this.#db.one("SELECT 1 AS x FROM runs WHERE status = 'running' LIMIT 1"))) return 0;
    return this.#db.transaction(async (tx) => {
      const now = opts.now ?? this.#now();
      const running = await tx.query<RunRow>(`SELECT * FROM runs WHERE status = 'running' ORDER BY run_id${tx.forUpdate}`);
      let killed = 0;
      for (const r of running) {
        if (this.#active.has(r.run_id)) continue;
        // Runs written before leases existed have none: one day without activity, as before.
        const expires = r.lease_expires_at ?? r.updated_at + 86_400_000;
        const localDead = r.host === this.#host && !isProcessAlive(r.pid);
        if (expires > now && !localDead) continue;
        const why = localDead
          ? `owner process ${r.pid} on ${r.host} is gone (crashed or was killed); marked killed at open`
          : `no heartbeat from owner process ${r.pid} on ${r.host} since ${new Date(expires - this.#leaseMs).toISOString()} (lease expired); marked killed at open`;
        killed += await tx.exec("UPDATE runs SET status = 'killed', end_time = ?, updated_at = ?, error = ?, lease_expires_at = NULL WHERE run_id = ? AND status = 'running'", [now, now, why, r.run_id]);
      }
      return killed;
    });
  }

  close(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Renews the leases of this store's active runs every third of the lease, off the request path. */
  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    this.#heartbeat = setInterval(() => {
      if (this.#active.size === 0) return;
      const ids = [...this.#active];
      const until = this.#now() + this.#leaseMs;
      this.#db.exec(`UPDATE runs SET lease_expires_at = ? WHERE status = 'running' AND run_id IN (${ids.map(() => '?').join(', ')})`, [until, ...ids])
        .catch(() => { /* a missed beat is retried on the next tick; the lease has slack for two */ });
    }, Math.max(10, Math.floor(this.#leaseMs / 3)));
    this.#heartbeat.unref();
  }

  async #experiments(db: SqlQueryable, rows: readonly ExperimentRow[]): Promise<Experiment[]> {
    if (rows.length === 0) return [];
    const tags = await db.query<{ experiment_id: number; key: string; value: string }>(
      rows.length === 1
        ? 'SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key'
        : 'SELECT experiment_id, key, value FROM experiment_tags ORDER BY key',
      rows.length === 1 ? [rows[0].id] : [],
    );
    return rows.map((row) => ({
      id: row.id, name: row.name, createdAt: row.created_at, lastUpdateTime: row.last_update_time,
      tags: Object.fromEntries(tags.filter((t) => t.experiment_id === row.id).map((t) => [t.key, t.value])),
    }));
  }

  async #row(db: SqlQueryable, runId: string, lock = false): Promise<RunRow> {
    const row = await db.one<RunRow>(`SELECT * FROM runs WHERE run_id = ?${lock ? db.forUpdate : ''}`, [runId]);
    if (!row) throw new NotFoundError('TRACKING_UNKNOWN_RUN', `no run with id '${runId}': list runs with 'pipeline runs list'`);
    return row;
  }

  /** Locks the run's row so that a concurrent `endRun` or recovery cannot interleave. */
  async #activeRow(db: SqlQueryable, runId: string): Promise<RunRow> {
    const row = await this.#row(db, runId, true);
    if (row.status !== 'running') {
      throw new InvalidStateError('TRACKING_RUN_NOT_ACTIVE', `run '${row.name}' (${runId}) is ${row.status}${row.error ? ` (${row.error})` : ''}: start a new run to log more`);
    }
    return row;
  }

  async #touch(db: SqlQueryable, runId: string): Promise<void> {
    const now = this.#now();
    await db.exec('UPDATE runs SET updated_at = ?, lease_expires_at = ? WHERE run_id = ?', [now, now + this.#leaseMs, runId]);
  }

  async #writeMetrics(db: SqlQueryable, runId: string, points: readonly MetricPoint[]): Promise<void> {
    const now = this.#now();
    for (const p of points) {
      if (!p.key) throw new InvalidInputError('TRACKING_INVALID_INPUT', `metric with empty key logged to run ${runId}`);
      if (!Number.isInteger(p.step)) throw new InvalidInputError('TRACKING_INVALID_INPUT', `metric '${p.key}' has non-integer step ${p.step}`);
    }
    await db.execMany('INSERT INTO run_metrics (run_id, key, step, value, timestamp) VALUES (?, ?, ?, ?, ?)',
      points.map((p) => [runId, p.key, p.step, Number.isNaN(p.value) ? null : p.value, p.timestamp ?? now]));
  }

  async #writeParams(db: SqlQueryable, runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    await db.execMany('INSERT INTO run_params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value',
      Object.entries(params).map(([k, v]) => [runId, k, String(v)]));
  }

  async #writeTags(db: SqlQueryable, runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await db.execMany('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value',
      Object.entries(tags).map(([k, v]) => [runId, k, String(v)]));
  }

  async #detail(db: SqlQueryable, row: RunRow): Promise<RunDetail> {
    const [{ record, series }] = await loadRecords(db, [row]);
    return { ...record, series, artifacts: (await loadArtifacts(db, [row.run_id])).get(row.run_id) ?? [] };
  }
}
