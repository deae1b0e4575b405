/**
 * `GET /dashboard/api/history?range=5m|1h|24h`: the prediction log bucketed over the range (traffic, errors,
 * latency percentiles, confidence), and monitoring's detector scores and alerts over the same range. The buckets are
 * computed in the database (`stores/prediction-buckets.ts`), so a busy day costs 96 rows, not the day's predictions.
 * `only=monitoring` skips the prediction log (the live view draws traffic from memory and only needs the drift
 * scores). Answers are cached per (range, parts) for a quarter of a bucket (2 s to 60 s), so several open pages
 * cost one read.
 */
import { HttpError } from '../errors.ts';
import type { AlertView, DetectorResultView } from '../control-ports.ts';
import type { PredictionBucket } from '../../stores/prediction-log.ts';
import type { DashboardDeps } from './ports.ts';

export const RANGES = { '5m': { ms: 5 * 60_000, bucketMs: 5_000 }, '1h': { ms: 3_600_000, bucketMs: 60_000 }, '24h': { ms: 86_400_000, bucketMs: 900_000 } } as const;
export type RangeName = keyof typeof RANGES;

export interface HistoryBucket {
  readonly ts: number;
  readonly requestsPerSec: number;
  readonly errorsPerSec: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly meanConfidence: number | null;
}

export interface History {
  readonly range: RangeName;
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  /** null without a prediction store. */
  readonly buckets: readonly HistoryBucket[] | null;
  /** Predictions in the range (shadow mirrors left out). */
  readonly rows: number;
  /** null without monitoring. */
  readonly drift: readonly DetectorResultView[] | null;
  readonly alerts: readonly AlertView[] | null;
}

export function parseRange(value: unknown): RangeName {
  if (typeof value === 'string' && Object.hasOwn(RANGES, value)) return value as RangeName;
  throw new HttpError(400, 'BAD_RANGE', `range must be one of ${Object.keys(RANGES).join(', ')}, got '${String(value)}'`);
}

/** Every bucket of the range, the empty ones included (zero traffic, no latency). */
export function fillBuckets(found: readonly PredictionBucket[], from: number, to: number, bucketMs: number): HistoryBucket[] {
  const byIndex = new Map(found.map((b) => [b.index, b]));
  const secs = bucketMs / 1000;
  return Array.from({ length: Math.ceil((to - from) / bucketMs) }, (_, i) => {
    const b = byIndex.get(i);
    return {
      ts: from + (i + 1) * bucketMs,
      requestsPerSec: (b?.requests ?? 0) / secs,
      errorsPerSec: (b?.errors ?? 0) / secs,
      p50: b?.p50 ?? null,
      p95: b?.p95 ?? null,
      p99: b?.p99 ?? null,
      meanConfidence: b?.meanConfidence ?? null,
    };
  });
}

export class HistoryCache {
  readonly #entries = new Map<string, { at: number; value: Promise<History> }>();

  get(d: DashboardDeps, range: RangeName, withPredictions: boolean, now = Date.now()): Promise<History> {
    const key = `${range}:${withPredictions}`;
    const ttl = Math.min(60_000, Math.max(2000, RANGES[range].bucketMs / 4));
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < ttl) return hit.value;
    const value = readHistory(d, range, withPredictions, now);
    this.#entries.set(key, { at: now, value });
    value.catch(() => this.#entries.delete(key));
    return value;
  }
}

export async function readHistory(d: DashboardDeps, range: RangeName, withPredictions = true, now = Date.now()): Promise<History> {
  const { ms, bucketMs } = RANGES[range];
  const to = Math.ceil(now / bucketMs) * bucketMs;
  const from = to - Math.ceil(ms / bucketMs) * bucketMs;
  const [rows, drift, alerts] = await Promise.all([
    d.predictions && withPredictions ? d.predictions.buckets({ modelName: d.modelName, fromTs: from, toTs: to, bucketMs }) : null,
    d.monitoring ? d.monitoring.history(d.modelName, from) : null,
    d.monitoring ? d.monitoring.alerts(d.modelName, from) : null,
  ]);
  return {
    range, from, to, bucketMs,
    buckets: rows ? fillBuckets(rows, from, to, bucketMs) : null,
    rows: rows ? rows.reduce((n, b) => n + b.requests, 0) : 0,
    drift: drift ? drift.slice(-5000) : null,
    alerts,
  };
}
