/**
 * Rollouts in the store: state, events, analysis results and controller leases, on SQLite and PostgreSQL. Every
 * change goes through `update`, which reads the row `FOR UPDATE` (SQLite: the write transaction's file lock), so a
 * person's action and the controller never overwrite each other.
 */
import type { SqlClient, SqlQueryable } from '../stores/sql/index.ts';
import { parseJsonColumn } from '../stores/sql/index.ts';
import type { Clock } from '../stores/common.ts';
import { ACTIVE_PHASES, type AnalysisRow, type RolloutEvent, type RolloutState } from './types.ts';

export interface StoredEvent extends RolloutEvent {
  readonly ts: number;
}

export interface RolloutChange {
  readonly state: RolloutState;
  readonly events?: readonly RolloutEvent[];
  readonly analysis?: readonly AnalysisRow[];
}

export class RolloutConflictError extends Error {}

export interface RolloutStore {
  /** Starts a rollout; throws RolloutConflictError when the model already has an active one. */
  create(state: RolloutState, event: RolloutEvent): Promise<RolloutState>;
  get(id: string): Promise<RolloutState | undefined>;
  /** The model's progressing or paused rollout. */
  active(modelName: string): Promise<RolloutState | undefined>;
  /** The model's newest rollout, whatever its phase. */
  latest(modelName: string): Promise<RolloutState | undefined>;
  /** Newest first. */
  list(modelName: string, limit?: number): Promise<RolloutState[]>;
  /** Applies `fn` to the current state atomically; `fn` returns null to change nothing. */
  update(id: string, fn: (s: RolloutState) => RolloutChange | null | Promise<RolloutChange | null>): Promise<RolloutState>;
  events(id: string): Promise<StoredEvent[]>;
  /** Oldest first, the newest `limit`. */
  analysis(id: string, limit?: number): Promise<AnalysisRow[]>;
  /** Takes or renews the lease `name` for `holder` until now + ttlMs; false while someone else holds it. */
  tryLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  leaseHolder(name: string): Promise<{ holder: string; expiresAt: number } | undefined>;
}

interface Row {
  state: unknown;
}

export class SqlRolloutStore implements RolloutStore {
  readonly #db: SqlClient;
  readonly #now: Clock;

  constructor(db: SqlClient, opts: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = opts.now ?? Date.now;
  }

  async create(state: RolloutState, event: RolloutEvent): Promise<RolloutState> {
    return this.#db.transaction(async (tx) => {
      const active = await tx.one<{ id: string }>(`SELECT id FROM rollouts WHERE model_name = ? AND active = 1${tx.forUpdate}`, [state.modelName]);
      if (active) {
        throw new RolloutConflictError(`model '${state.modelName}' already has a rollout in progress (${active.id}): see \`pipeline rollout status\`, or end it with \`pipeline rollout abort ${state.modelName}\``);
      }
      await tx.exec(
        'INSERT INTO rollouts (id, model_name, strategy, phase, active, revision, state, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [state.id, state.modelName, state.strategy, state.phase, 1, state.revision, JSON.stringify(state), state.startedAt, state.updatedAt],
      );
      await this.#event(tx, state.id, event);
      return state;
    });
  }

  async get(id: string): Promise<RolloutState | undefined> {
    return this.#parse(await this.#db.one<Row>('SELECT state FROM rollouts WHERE id = ?', [id]));
  }

  async active(modelName: string): Promise<RolloutState | undefined> {
    return this.#parse(await this.#db.one<Row>('SELECT state FROM rollouts WHERE model_name = ? AND active = 1', [modelName]));
  }

  async latest(modelName: string): Promise<RolloutState | undefined> {
    return (await this.list(modelName, 1))[0];
  }

  async list(modelName: string, limit = 50): Promise<RolloutState[]> {
    const rows = await this.#db.query<Row>('SELECT state FROM rollouts WHERE model_name = ? ORDER BY started_at DESC, id DESC LIMIT ?', [modelName, limit]);
    return rows.map((r) => this.#parse(r)!);
  }

  async update(id: string, fn: (s: RolloutState) => RolloutChange | null | Promise<RolloutChange | null>): Promise<RolloutState> {
    return this.#db.transaction(async (tx) => {
      const current = this.#parse(await tx.one<Row>(`SELECT state FROM rollouts WHERE id = ?${tx.forUpdate}`, [id]));
      if (!current) throw new Error(`rollout ${id} does not exist`);
      // fn may be retried with a fresh state (PostgreSQL serialization retry): it works on a copy.
      const change = await fn(structuredClone(current));
      if (!change) return current;
      const next: RolloutState = { ...change.state, revision: current.revision + 1, updatedAt: this.#now() };
      await tx.exec('UPDATE rollouts SET phase = ?, active = ?, revision = ?, state = ?, updated_at = ? WHERE id = ?', [
        next.phase, ACTIVE_PHASES.has(next.phase) ? 1 : 0, next.revision, JSON.stringify(next), next.updatedAt, id,
      ]);
      for (const e of change.events ?? []) await this.#event(tx, id, e);
      for (const a of change.analysis ?? []) {
        await tx.exec('INSERT INTO rollout_analysis (rollout_id, ts, step, metric, variant, value, threshold, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
          id, a.ts, a.step, a.metric, a.variant, a.value === null || !Number.isFinite(a.value) ? null : a.value, a.threshold, a.verdict,
        ]);
      }
      return next;
    });
  }

  async events(id: string): Promise<StoredEvent[]> {
    const rows = await this.#db.query<{ ts: number; kind: string; message: string; actor: string; data: unknown }>(
      'SELECT ts, kind, message, actor, data FROM rollout_events WHERE rollout_id = ? ORDER BY id', [id]);
    return rows.map((r) => ({ ts: r.ts, kind: r.kind, message: r.message, actor: r.actor, data: parseJsonColumn(r.data, undefined) }));
  }

  async analysis(id: string, limit = 200): Promise<AnalysisRow[]> {
    const rows = await this.#db.query<{ ts: number; step: number; metric: string; variant: string; value: number | null; threshold: string; verdict: AnalysisRow['verdict'] }>(
      'SELECT ts, step, metric, variant, value, threshold, verdict FROM rollout_analysis WHERE rollout_id = ? ORDER BY id DESC LIMIT ?', [id, limit]);
    return rows.reverse();
  }

  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    // One statement: the row lock taken by the conflict makes it atomic on PostgreSQL; SQLite writes one at a time.
    const changed = await this.#db.exec(
      `INSERT INTO rollout_leases (name, holder, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE rollout_leases.holder = excluded.holder OR rollout_leases.expires_at < ?`,
      [name, holder, now + ttlMs, now],
    );
    return changed > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#db.exec('DELETE FROM rollout_leases WHERE name = ? AND holder = ?', [name, holder]);
  }

  async leaseHolder(name: string): Promise<{ holder: string; expiresAt: number } | undefined> {
    const r = await this.#db.one<{ holder: string; expires_at: number }>('SELECT holder, expires_at FROM rollout_leases WHERE name = ?', [name]);
    return r && { holder: r.holder, expiresAt: r.expires_at };
  }

  async #event(tx: SqlQueryable, id: string, e: RolloutEvent): Promise<void> {
    await tx.exec('INSERT INTO rollout_events (rollout_id, ts, kind, message, actor, data) VALUES (?, ?, ?, ?, ?, ?)', [
      id, this.#now(), e.kind, e.message, e.actor, e.data === undefined ? null : JSON.stringify(e.data),
    ]);
  }

  #parse(row: Row | undefined): RolloutState | undefined {
    return row ? parseJsonColumn<RolloutState>(row.state, undefined as never) : undefined;
  }
}
