/**
 * The prediction log: one row per served prediction, for monitoring (drift, latency) and later shadow/A-B
 * analysis. The server writes through `createBatchedWriter`, never per request.
 */
import { migrate, type Db } from './db.ts';
import { parseJson } from './common.ts';

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
  append(rows: readonly PredictionRecord[]): void;
  /** Newest first. */
  recent(limit: number, filter?: { modelName?: string; sinceTs?: number }): PredictionRecord[];
  count(): number;
}

const MIGRATIONS = [
  `CREATE TABLE predictions (
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
];

interface PredictionRow {
  request_id: string; ts: number; model_name: string; model_version: number; alias: string | null; variant: string | null;
  top_k: string; latency_ms: number; image_sha256: string | null; input_stats: string | null;
}

export class SqlitePredictionLog implements PredictionLog {
  readonly #db: Db;

  constructor(db: Db) {
    migrate(db, 'predictions', MIGRATIONS);
    this.#db = db;
  }

  append(rows: readonly PredictionRecord[]): void {
    if (rows.length === 0) return;
    const insert = this.#db.prepare(
      `INSERT INTO predictions (request_id, ts, model_name, model_version, alias, variant, top_k, latency_ms, image_sha256, input_stats)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.transaction(() => {
      for (const r of rows) {
        insert.run(r.requestId, r.ts, r.modelName, r.modelVersion, r.alias, r.variant ?? null, JSON.stringify(r.topK),
          r.latencyMs, r.imageSha256, r.inputStats === null ? null : JSON.stringify(r.inputStats));
      }
    }).immediate();
  }

  recent(limit: number, filter: { modelName?: string; sinceTs?: number } = {}): PredictionRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.modelName !== undefined) { where.push('model_name = ?'); args.push(filter.modelName); }
    if (filter.sinceTs !== undefined) { where.push('ts >= ?'); args.push(filter.sinceTs); }
    const rows = this.#db.prepare(
      `SELECT * FROM predictions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`,
    ).all(...args, Math.max(0, Math.floor(limit))) as PredictionRow[];
    return rows.map((r) => ({
      requestId: r.request_id, ts: r.ts, modelName: r.model_name, modelVersion: r.model_version, alias: r.alias,
      variant: r.variant, topK: parseJson(r.top_k, []), latencyMs: r.latency_ms, imageSha256: r.image_sha256,
      inputStats: parseJson<InputStats | null>(r.input_stats, null),
    }));
  }

  count(): number {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM predictions').get() as { n: number }).n;
  }
}

export { createBatchedWriter, type BatchedWriter, type BatchedWriterOptions } from './batched-writer.ts';
