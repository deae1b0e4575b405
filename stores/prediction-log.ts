/**
 * The prediction log: one row per (request, variant) served, for monitoring (drift, latency), rollouts (per-variant
 * error rate, agreement, accuracy) and ground truth (`prediction_feedback`, joined by the server's request id). The
 * server writes through `createBatchedWriter`, never per request. Appends are idempotent: a row whose
 * (request id, variant) is already logged is skipped, so a retried batch never logs a prediction twice.
 */
import { parseJsonColumn, type SqlClient, type SqlValue } from './sql/index.ts';
import { predictionBuckets, type BucketQuery, type PredictionBucket } from './prediction-buckets.ts';

export { PREDICTION_MIGRATIONS } from './prediction-log-schema.ts';
export type { BucketQuery, PredictionBucket } from './prediction-buckets.ts';

export interface PredictionClass {
  readonly id: number;
  readonly class: string;
  readonly prob: number;
}

/**
 * Statistics of the decoded input image, for drift monitoring (`ml/monitoring/image-stats.ts`). The four named
 * ones are always there; monitoring adds per-channel means and deviations, saturation, sharpness, ...
 */
export interface InputStats {
  readonly meanBrightness: number;
  readonly contrast: number;
  readonly width: number;
  readonly height: number;
  readonly [key: string]: number;
}

export interface PredictionRecord {
  /** The server's id of the request (unique per request; `<id>-<i>` for the i-th image of a batch request). */
  readonly requestId: string;
  /** The `X-Request-Id` the client sent, if any (kept apart: clients repeat ids). */
  readonly clientRequestId?: string | null;
  /** ms since epoch. */
  readonly ts: number;
  readonly modelName: string;
  readonly modelVersion: number;
  /** The alias the request was served under (`champion`, `challenger`, ...). */
  readonly alias: string | null;
  /** Which arm served it when several models run (`stable`, `canary`, `shadow`, `a`, `b`); null for a single model. */
  readonly variant?: string | null;
  /** Empty when the variant failed (`errorCode` says why). */
  readonly topK: readonly PredictionClass[];
  readonly latencyMs: number;
  readonly imageSha256: string | null;
  readonly inputStats: InputStats | null;
  /** `jpeg`, `png`, `webp`, ... as sniffed from the bytes. */
  readonly imageFormat?: string | null;
  readonly imageBytes?: number | null;
  /** A compact projection of the model's penultimate features (monitoring's PCA), rounded. */
  readonly embedding?: readonly number[] | null;
  /** The error code of a variant that did not answer (a shadow that failed, a timeout), else null. */
  readonly errorCode?: string | null;
}

/** A logged prediction as read back: the top-1 columns and the feedback label joined in. */
export interface LoggedPrediction extends PredictionRecord {
  readonly top1Class: string | null;
  readonly top1Prob: number | null;
  /** The true class from feedback, when someone gave it. */
  readonly label: string | null;
  readonly labelTs: number | null;
}

export interface PredictionQuery {
  readonly modelName?: string;
  readonly modelVersion?: number;
  readonly alias?: string;
  /** `null` selects single-model rows (no variant). */
  readonly variant?: string | null;
  /** Inclusive, ms since epoch. */
  readonly sinceTs?: number;
  /** Exclusive, ms since epoch. */
  readonly untilTs?: number;
  /** Only rows with (true) or without (false) a feedback label. */
  readonly labelled?: boolean;
}

export interface Feedback {
  readonly requestId: string;
  /** The class name (validated against the model's labels by the caller). */
  readonly label: string;
  readonly labelId: number | null;
  readonly ts: number;
  /** Who or what gave it: `api`, `cli`, a user name. */
  readonly source: string | null;
}

export interface PredictionLog {
  /** Appends rows in one transaction; rows whose (requestId, variant) is already logged are skipped. */
  append(rows: readonly PredictionRecord[]): Promise<void>;
  /** Newest first. */
  recent(limit: number, filter?: PredictionQuery): Promise<LoggedPrediction[]>;
  count(filter?: PredictionQuery): Promise<number>;
  /** Traffic, errors, confidence and latency percentiles per time bucket, computed in the database. */
  buckets(query: BucketQuery): Promise<PredictionBucket[]>;
  /** Every variant's row of one request (server id), oldest first; empty when unknown. */
  byRequest(requestId: string): Promise<LoggedPrediction[]>;
  /** Records (or corrects) the true label of a logged request. Resolves false when no prediction has that id. */
  recordFeedback(feedback: Feedback): Promise<boolean>;
}

interface PredictionRow {
  request_id: string; client_request_id: string | null; ts: number; model_name: string; model_version: number;
  alias: string | null; variant: string | null; top_k: unknown; latency_ms: number; image_sha256: string | null;
  input_stats: unknown; image_format: string | null; image_bytes: number | null; embedding: unknown;
  error_code: string | null; top1_class: string | null; top1_prob: number | null; label: string | null; label_ts: number | null;
}

const COLUMNS = ['request_id', 'client_request_id', 'ts', 'model_name', 'model_version', 'alias', 'variant', 'top_k',
  'latency_ms', 'image_sha256', 'input_stats', 'image_format', 'image_bytes', 'embedding', 'error_code', 'top1_class', 'top1_prob'];

const SELECT = `SELECT p.*, f.label AS label, f.ts AS label_ts FROM predictions p LEFT JOIN prediction_feedback f ON f.request_id = p.request_id`;

/** Four decimals are plenty for a projection used by distribution tests, and keep a row small. */
function compact(v: readonly number[] | null | undefined): string | null {
  return v ? JSON.stringify(v.map((x) => Math.round(x * 1e4) / 1e4)) : null;
}

function toRow(r: PredictionRecord): SqlValue[] {
  const top = r.topK[0];
  return [r.requestId, r.clientRequestId ?? null, r.ts, r.modelName, r.modelVersion, r.alias, r.variant ?? null,
    JSON.stringify(r.topK), r.latencyMs, r.imageSha256, r.inputStats === null ? null : JSON.stringify(r.inputStats),
    r.imageFormat ?? null, r.imageBytes ?? null, compact(r.embedding), r.errorCode ?? null, top?.class ?? null, top?.prob ?? null];
}

function fromRow(r: PredictionRow): LoggedPrediction {
  return {
    requestId: r.request_id, clientRequestId: r.client_request_id, ts: r.ts, modelName: r.model_name,
    modelVersion: r.model_version, alias: r.alias, variant: r.variant, topK: parseJsonColumn(r.top_k, []),
    latencyMs: r.latency_ms, imageSha256: r.image_sha256, inputStats: parseJsonColumn<InputStats | null>(r.input_stats, null),
    imageFormat: r.image_format, imageBytes: r.image_bytes, embedding: parseJsonColumn<number[] | null>(r.embedding, null),
    errorCode: r.error_code, top1Class: r.top1_class, top1Prob: r.top1_prob, label: r.label, labelTs: r.label_ts,
  };
}

function where(q: PredictionQuery): { sql: string; args: SqlValue[] } {
  const parts: string[] = [];
  const args: SqlValue[] = [];
  const eq = (col: string, v: SqlValue) => { parts.push(`${col} = ?`); args.push(v); };
  if (q.modelName !== undefined) eq('p.model_name', q.modelName);
  if (q.modelVersion !== undefined) eq('p.model_version', q.modelVersion);
  if (q.alias !== undefined) eq('p.alias', q.alias);
  if (q.variant === null) parts.push('p.variant IS NULL');
  else if (q.variant !== undefined) eq('p.variant', q.variant);
  if (q.sinceTs !== undefined) { parts.push('p.ts >= ?'); args.push(q.sinceTs); }
  if (q.untilTs !== undefined) { parts.push('p.ts < ?'); args.push(q.untilTs); }
  if (q.labelled !== undefined) parts.push(q.labelled ? 'f.label IS NOT NULL' : 'f.label IS NULL');
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', args };
}

export class SqlPredictionLog implements PredictionLog {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async append(rows: readonly PredictionRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#db.execMany(
      `INSERT INTO predictions (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`,
      rows.map(toRow),
    );
  }

  async recent(limit: number, filter: PredictionQuery = {}): Promise<LoggedPrediction[]> {
    const w = where(filter);
    const rows = await this.#db.query<PredictionRow>(`${SELECT}${w.sql} ORDER BY p.ts DESC, p.id DESC LIMIT ?`,
      [...w.args, Math.max(0, Math.floor(limit))]);
    return rows.map(fromRow);
  }

  async count(filter: PredictionQuery = {}): Promise<number> {
    const w = where(filter);
    const row = await this.#db.one<{ n: number }>(
      `SELECT COUNT(*) AS n FROM predictions p LEFT JOIN prediction_feedback f ON f.request_id = p.request_id${w.sql}`, w.args);
    return row!.n;
  }

  buckets(query: BucketQuery): Promise<PredictionBucket[]> {
    return predictionBuckets(this.#db, query);
  }

  async byRequest(requestId: string): Promise<LoggedPrediction[]> {
    const rows = await this.#db.query<PredictionRow>(`${SELECT} WHERE p.request_id = ? ORDER BY p.id`, [requestId]);
    return rows.map(fromRow);
  }

  async recordFeedback(fb: Feedback): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const known = await tx.one('SELECT 1 AS one FROM predictions WHERE request_id = ? LIMIT 1', [fb.requestId]);
      if (!known) return false;
      await tx.exec(
        `INSERT INTO prediction_feedback (request_id, label, label_id, ts, source) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (request_id) DO UPDATE SET label = excluded.label, label_id = excluded.label_id, ts = excluded.ts, source = excluded.source`,
        [fb.requestId, fb.label, fb.labelId, fb.ts, fb.source],
      );
      return true;
    });
  }
}

export { createBatchedWriter, type BatchedWriter, type BatchedWriterOptions } from './batched-writer.ts';
