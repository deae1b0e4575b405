/**
 * The prediction log: one row per served prediction, for monitoring (drift, latency) and later shadow/A-B
 * analysis. The server writes through `createBatchedWriter`, never per request. JSON columns are jsonb on
 * PostgreSQL.
 */
import { parseJsonColumn, type MigrationSet, type SqlClient, type SqlValue } from './sql/index.ts';

export interface PredictionClass {
  readonly id: number;
  readonly class: string;
  readonly prob: number;
}

/** Cheap statistics of the decoded input image, for drift monitoring. */
export interface InputStats {
  readonly meanBrightness: number;
  readonly contrast: number;
  readonly width: number;
  readonly height: number;
  readonly [key: string]: number;
}

export interface PredictionRecord {
  readonly requestId: string;
  /** ms since epoch. */
  readonly ts: number;
  readonly modelName: string;
  readonly modelVersion: number;
  /** The alias the request was served under (`champion`, `challenger`, ...). */
  readonly alias: string | null;
  /** Which arm served it when several models run (`primary`, `shadow`, `canary`); null for a single model. */
  readonly variant?: string | null;
  readonly topK: readonly PredictionClass[];
  readonly latencyMs: number;
  readonly imageSha256: string | null;
  readonly inputStats: InputStats | null;
}

export interface PredictionLog {
  /** Appends rows in one transaction. */
  append(rows: readonly PredictionRecord[]): Promise<void>;
  /** Newest first. */
  recent(limit: number, filter?: { modelName?: string; sinceTs?: number }): Promise<PredictionRecord[]>;
  count(): Promise<number>;
}

export const PREDICTION_MIGRATIONS: MigrationSet = {
  component: 'predictions',
  migrations: [{
    id: 202611010000,
    name: 'predictions',
    sqlite: `CREATE TABLE predictions (
     id INTEGER PRIMARY KEY,
     request_id TEXT NOT NULL,
     ts INTEGER NOT NULL,
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     alias TEXT,
     variant TEXT,
     top_k TEXT NOT NULL,
     latency_ms REAL NOT NULL,
     image_sha256 TEXT,
     input_stats TEXT
   );
   CREATE INDEX predictions_by_ts ON predictions (ts);
   CREATE INDEX predictions_by_model ON predictions (model_name, model_version, ts);`,
    postgres: `CREATE TABLE predictions (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     request_id TEXT NOT NULL,
     ts BIGINT NOT NULL,
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     alias TEXT,
     variant TEXT,
     top_k JSONB NOT NULL,
     latency_ms DOUBLE PRECISION NOT NULL,
     image_sha256 TEXT,
     input_stats JSONB
   );
   CREATE INDEX predictions_by_ts ON predictions (ts);
   CREATE INDEX predictions_by_model ON predictions (model_name, model_version, ts);`,
  }],
};

interface PredictionRow {
  request_id: string; ts: number; model_name: string; model_version: number; alias: string | null; variant: string | null;
  top_k: unknown; latency_ms: number; image_sha256: string | null; input_stats: unknown;
}

export class SqlPredictionLog implements PredictionLog {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async append(rows: readonly PredictionRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.execMany(
      `INSERT INTO predictions (request_id, ts, model_name, model_version, alias, variant, top_k, latency_ms, image_sha256, input_stats)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      rows.map((r) => [r.requestId, r.ts, r.modelName, r.modelVersion, r.alias, r.variant ?? null, JSON.stringify(r.topK),
        r.latencyMs, r.imageSha256, r.inputStats === null ? null : JSON.stringify(r.inputStats)]),
    );
  }

  async recent(limit: number, filter: { modelName?: string; sinceTs?: number } = {}): Promise<PredictionRecord[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.modelName !== undefined) { where.push('model_name = ?'); args.push(filter.modelName); }
    if (filter.sinceTs !== undefined) { where.push('ts >= ?'); args.push(filter.sinceTs); }
    const rows = await this.#db.query<PredictionRow>(
      `SELECT * FROM predictions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`,
      [...args, Math.max(0, Math.floor(limit))],
    );
    return rows.map((r) => ({
      requestId: r.request_id, ts: r.ts, modelName: r.model_name, modelVersion: r.model_version, alias: r.alias,
      variant: r.variant, topK: parseJsonColumn(r.top_k, []), latencyMs: r.latency_ms, imageSha256: r.image_sha256,
      inputStats: parseJsonColumn<InputStats | null>(r.input_stats, null),
    }));
  }

  async count(): Promise<number> {
    return (await this.#db.one<{ n: number }>('SELECT COUNT(*) AS n FROM predictions'))!.n;
  }
}

export { createBatchedWriter, type BatchedWriter, type BatchedWriterOptions } from './batched-writer.ts';
