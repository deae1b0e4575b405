/**
 * The prediction log summarised per time bucket inside the database: traffic, errors, mean confidence and exact
 * latency percentiles, so a 24-hour chart reads 96 buckets instead of millions of rows. Percentiles are
 * interpolated between the two nearest ranks (numpy's default, as `quantile` in the dashboard): the ranks are
 * computed with integer arithmetic in plain SQL (window functions, in SQLite >= 3.25 and PostgreSQL alike), and only
 * the rows at those ranks leave the database.
 */
import type { SqlQueryable, SqlValue } from './sql/index.ts';

export interface BucketQuery {
  readonly modelName: string;
  /** Inclusive, ms since epoch: the start of bucket 0. */
  readonly fromTs: number;
  /** Exclusive. */
  readonly toTs: number;
  readonly bucketMs: number;
  /** Variants left out (mirrored traffic is not traffic): default `['shadow']`. */
  readonly excludeVariants?: readonly string[];
}

export interface PredictionBucket {
  /** 0-based index: the bucket covers `[fromTs + i * bucketMs, fromTs + (i + 1) * bucketMs)`. */
  readonly index: number;
  readonly requests: number;
  readonly errors: number;
  readonly meanConfidence: number | null;
  /** Over the rows without an error; null when there are none. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** Quantiles as integer percentages, so `floor(m * q)` is exact integer arithmetic in SQL and here. */
const PERCENTS = [50, 95, 99] as const;
type Percent = (typeof PERCENTS)[number];

function integer(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new Error(`prediction buckets: ${name} must be a whole number of ms, got ${v}`);
  return v;
}

/** Buckets with no row are left out; the caller fills the gaps. */
export async function predictionBuckets(db: SqlQueryable, q: BucketQuery): Promise<PredictionBucket[]> {
  const from = integer('fromTs', q.fromTs);
  const to = integer('toTs', q.toTs);
  const width = integer('bucketMs', q.bucketMs);
  if (width <= 0 || to <= from) throw new Error(`prediction buckets: need bucketMs > 0 and toTs > fromTs, got ${width}, [${from}, ${to})`);
  const excluded = q.excludeVariants ?? ['shadow'];
  // Inlined integers (checked above), so both dialects see integer division without typing parameters.
  const bucket = `(p.ts - ${from}) / ${width}`;
  const scope = `p.model_name = ? AND p.ts >= ${from} AND p.ts < ${to}` +
    (excluded.length ? ` AND (p.variant IS NULL OR p.variant NOT IN (${excluded.map(() => '?').join(', ')}))` : '');
  const args: SqlValue[] = [q.modelName, ...excluded];

  const totals = await db.query<{ bucket: number; n: number; errors: number; conf: number | null }>(
    `SELECT ${bucket} AS bucket, COUNT(*) AS n, SUM(CASE WHEN p.error_code IS NULL THEN 0 ELSE 1 END) AS errors,
            AVG(p.top1_prob) AS conf
       FROM predictions p WHERE ${scope} GROUP BY ${bucket}`, args);

  const ranks = PERCENTS.flatMap((pc) => [`m * ${pc} / 100`, `(m * ${pc} + 99) / 100`]);
  const picked = await db.query<{ bucket: number; r: number; m: number; lat: number }>(
    `WITH ok AS (
       SELECT ${bucket} AS bucket, p.latency_ms AS lat,
              ROW_NUMBER() OVER (PARTITION BY ${bucket} ORDER BY p.latency_ms) - 1 AS r,
              COUNT(*) OVER (PARTITION BY ${bucket}) - 1 AS m
         FROM predictions p WHERE ${scope} AND p.error_code IS NULL)
     SELECT bucket, r, m, lat FROM ok WHERE r IN (${ranks.join(', ')})`, args);

  const atRank = new Map<number, { m: number; lat: Map<number, number> }>();
  for (const row of picked) {
    const b = atRank.get(Number(row.bucket)) ?? { m: Number(row.m), lat: new Map() };
    b.lat.set(Number(row.r), Number(row.lat));
    atRank.set(Number(row.bucket), b);
  }
  const percentile = (b: { m: number; lat: Map<number, number> } | undefined, pc: Percent): number | null => {
    if (!b) return null;
    const lo = Math.floor((b.m * pc) / 100);
    const hi = Math.floor((b.m * pc + 99) / 100);
    const a = b.lat.get(lo)!, c = b.lat.get(hi)!;
    return a + (c - a) * ((b.m * pc - lo * 100) / 100);
  };
  return totals
    .map((t) => {
      const b = atRank.get(Number(t.bucket));
      return {
        index: Number(t.bucket), requests: Number(t.n), errors: Number(t.errors),
        meanConfidence: t.conf === null ? null : Number(t.conf),
        p50: percentile(b, 50), p95: percentile(b, 95), p99: percentile(b, 99),
      };
    })
    .sort((a, b) => a.index - b.index);
}
