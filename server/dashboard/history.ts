/**
 * `GET /dashboard/api/history?range=5m|1h|24h`: the prediction log bucketed over the range (traffic, errors,
 * latency percentiles, confidence), and monitoring's detector scores and alerts over the same range. At most
 * `HISTORY_ROWS` rows are read (newest first); past that the answer says `truncated` and covers the newest part.
 * `only=monitoring` skips the prediction log (the live view draws traffic from memory and only needs the drift
 * scores). Answers are cached per (range, parts) for a quarter of a bucket (2 s to 60 s), so several open pages
 * cost one read.
 */
import { HttpError } from '../errors.ts';
import type { AlertView, DetectorResultView } from '../control-ports.ts';
import type { LoggedPrediction } from '../../stores/prediction-log.ts';
import type { DashboardDeps } from './ports.ts';
import { quantile } from './store-panels.ts';

export const RANGES = { '5m': { ms: 5 * 60_000, bucketMs: 5_000 }, '1h': { ms: 3_600_000, bucketMs: 60_000 }, '24h': { ms: 86_400_000, bucketMs: 900_000 } } as const;
export type RangeName = keyof typeof RANGES;
export const HISTORY_ROWS = 20_000;

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
  readonly rows: number;
  readonly truncated: boolean;
  /** null without monitoring. */
  readonly drift: readonly DetectorResultView[] | null;
  readonly alerts: readonly AlertView[] | null;
}

export function parseRange(value: unknown): RangeName {
  if (typeof value === 'string' && Object.hasOwn(RANGES, value)) return value as RangeName;
  throw new HttpError(400, 'BAD_RANGE', `range must be one of ${Object.keys(RANGES).join(', ')}, got '${String(value)}'`);
}

export function bucketRows(rows: readonly LoggedPrediction[], from: number, to: number, bucketMs: number): HistoryBucket[] {
  const n = Math.ceil((to - from) / bucketMs);
  const groups = Array.from({ length: n }, () => [] as LoggedPrediction[]);
  for (const r of rows) {
    const i = Math.floor((r.ts - from) / bucketMs);
    if (i >= 0 && i < n && (r.variant == null || r.variant !== 'shadow')) groups[i]!.push(r);
  }
  const secs = bucketMs / 1000;
  return groups.map((g, i) => {
    const lat = g.filter((r) => !r.errorCode).map((r) => r.latencyMs).sort((a, b) => a - b);
    const probs = g.map((r) => r.top1Prob).filter((p): p is number => p !== null);
    return {
      ts: from + (i + 1) * bucketMs,
      requestsPerSec: g.length / secs,
      errorsPerSec: g.filter((r) => r.errorCode).length / secs,
      p50: quantile(lat, 0.5),
      p95: quantile(lat, 0.95),
      p99: quantile(lat, 0.99),
      meanConfidence: probs.length ? probs.reduce((a, b) => a + b, 0) / probs.length : null,
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
    d.predictions && withPredictions ? d.predictions.recent(HISTORY_ROWS, { modelName: d.modelName, sinceTs: from }) : null,
    d.monitoring ? d.monitoring.history(d.modelName, from) : null,
    d.monitoring ? d.monitoring.alerts(d.modelName, from) : null,
  ]);
  return {
    range, from, to, bucketMs,
    buckets: rows ? bucketRows(rows, from, to, bucketMs) : null,
    rows: rows?.length ?? 0,
    truncated: (rows?.length ?? 0) >= HISTORY_ROWS,
    drift: drift ? drift.slice(-5000) : null,
    alerts,
  };
}
