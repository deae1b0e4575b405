/**
 * Per-variant aggregates of the prediction log over a window, in SQL valid on SQLite and PostgreSQL: requests,
 * error rate, p99 latency, mean top-1 confidence, accuracy against feedback labels, and agreement with the stable
 * variant (a self-join on the server's request id: a mirrored request has one row per variant).
 */
import type { SqlQueryable } from '../stores/sql/index.ts';
import type { VariantSummary } from './types.ts';

export interface Window {
  readonly modelName: string;
  readonly sinceTs: number;
  readonly untilTs?: number;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export class VariantMetrics {
  readonly #db: SqlQueryable;

  constructor(db: SqlQueryable) {
    this.#db = db;
  }

  #range(w: Window, alias = 'p'): { sql: string; args: (string | number)[] } {
    return w.untilTs === undefined
      ? { sql: `${alias}.model_name = ? AND ${alias}.ts >= ?`, args: [w.modelName, w.sinceTs] }
      : { sql: `${alias}.model_name = ? AND ${alias}.ts >= ? AND ${alias}.ts < ?`, args: [w.modelName, w.sinceTs, w.untilTs] };
  }

  /** Distinct requests answered by any of `variants` in the window (a mirrored request counts once). */
  async requests(w: Window, variants: readonly string[]): Promise<number> {
    const r = this.#range(w);
    const row = await this.#db.one<{ n: unknown }>(
      `SELECT COUNT(DISTINCT p.request_id) AS n FROM predictions p WHERE ${r.sql} AND p.variant IN (${variants.map(() => '?').join(', ')})`,
      [...r.args, ...variants],
    );
    return num(row?.n);
  }

  async summary(w: Window, variant: string, stableVariant: string | null): Promise<VariantSummary> {
    const r = this.#range(w);
    const base = await this.#db.one<{ n: unknown; e: unknown; conf: unknown }>(
      `SELECT COUNT(*) AS n, SUM(CASE WHEN p.error_code IS NOT NULL THEN 1 ELSE 0 END) AS e,
              AVG(CASE WHEN p.error_code IS NULL THEN p.top1_prob END) AS conf
       FROM predictions p WHERE ${r.sql} AND p.variant = ?`, [...r.args, variant]);
    const requests = num(base?.n);
    const errors = num(base?.e);
    const ok = requests - errors;
    let latencyP99Ms: number | null = null;
    if (ok > 0) {
      const offset = Math.floor(ok * 0.01);
      const row = await this.#db.one<{ l: unknown }>(
        `SELECT p.latency_ms AS l FROM predictions p WHERE ${r.sql} AND p.variant = ? AND p.error_code IS NULL ORDER BY p.latency_ms DESC LIMIT 1 OFFSET ?`,
        [...r.args, variant, offset]);
      latencyP99Ms = row ? num(row.l) : null;
    }
    const fb = await this.#db.one<{ n: unknown; c: unknown }>(
      `SELECT COUNT(*) AS n, SUM(CASE WHEN f.label = p.top1_class THEN 1 ELSE 0 END) AS c
       FROM predictions p JOIN prediction_feedback f ON f.request_id = p.request_id
       WHERE ${r.sql} AND p.variant = ? AND p.error_code IS NULL`, [...r.args, variant]);
    const labelled = num(fb?.n);
    const correct = num(fb?.c);
    let paired = 0;
    let agreed = 0;
    if (stableVariant !== null && stableVariant !== variant) {
      const ag = await this.#db.one<{ n: unknown; a: unknown }>(
        `SELECT COUNT(*) AS n, SUM(CASE WHEN s.top1_class = p.top1_class THEN 1 ELSE 0 END) AS a
         FROM predictions p JOIN predictions s ON s.request_id = p.request_id AND s.variant = ?
         WHERE ${r.sql} AND p.variant = ? AND p.error_code IS NULL AND s.error_code IS NULL`, [stableVariant, ...r.args, variant]);
      paired = num(ag?.n);
      agreed = num(ag?.a);
    }
    return {
      variant,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : null,
      latencyP99Ms,
      meanConfidence: base?.conf === null || base?.conf === undefined ? null : Number(base.conf),
      labelled,
      correct,
      feedbackAccuracy: labelled > 0 ? correct / labelled : null,
      paired,
      agreement: stableVariant === variant ? 1 : paired > 0 ? agreed / paired : null,
    };
  }

  /** Share of primary requests the candidate answered: its rows minus those mirrored from the stable variant. */
  candidateShare(stable: VariantSummary, candidate: VariantSummary): number | undefined {
    const primary = candidate.requests - candidate.paired;
    const total = stable.requests + primary;
    return total > 0 ? primary / total : undefined;
  }
}
