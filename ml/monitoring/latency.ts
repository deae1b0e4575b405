/** Inference-time monitoring: latency percentiles of a window against a service-level objective. */

/** Percentile with linear interpolation between order statistics (numpy's default, method='linear'). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('percentile: no values');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q must be in [0, 100], got ${q}`);
  const s = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
}

/** The SLO: any percentile given must not be exceeded. */
export interface LatencySlo {
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
}

/** Latency of one window: the percentiles, and which SLO bound (if any) was broken. */
export interface LatencyWindow {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly n: number;
  /** Percentiles above their bound, e.g. ['p99']. */
  readonly breached: string[];
}

/** Percentiles of `latenciesMs` and the SLO check. */
export function latencyWindow(latenciesMs: readonly number[], slo: LatencySlo): LatencyWindow {
  const p50 = percentile(latenciesMs, 50), p95 = percentile(latenciesMs, 95), p99 = percentile(latenciesMs, 99);
  const breached: string[] = [];
  if (slo.p50Ms !== undefined && p50 > slo.p50Ms) breached.push('p50');
  if (slo.p95Ms !== undefined && p95 > slo.p95Ms) breached.push('p95');
  if (slo.p99Ms !== undefined && p99 > slo.p99Ms) breached.push('p99');
  return { p50, p95, p99, n: latenciesMs.length, breached };
}
