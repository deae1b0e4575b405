/**
 * The live series (last 5 minutes, one point a second) read from the app's own Prometheus registry: no second set
 * of counters on the request path. Rates are differences of the counters between two ticks; latency percentiles
 * are interpolated in the `http_request_duration_seconds` buckets over the last 10 s (so they are estimates, as
 * precise as the buckets: 2, 5, 10, 20, 50, 100, 200, 500 ms, 1, 2, 5 s).
 */
import type client from 'prom-client';

/** The routes that count as traffic (the dashboard's own requests, probes and /metrics do not). */
export const TRAFFIC_ROUTES = new Set(['/predict', '/predict/batch']);

export interface LiveSample {
  /** ms since epoch. */
  readonly ts: number;
  readonly requestsPerSec: number;
  /** 5xx answers a second. */
  readonly errorsPerSec: number;
  /** 4xx answers a second (bad images, too large, ...). */
  readonly rejectedPerSec: number;
  /** ms, over the last 10 s; null without traffic. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Mean images per onnxruntime run in the last second; null when nothing ran. */
  readonly meanBatch: number | null;
  readonly runsPerSec: number;
  /** Requests being processed (decoding or queued for the model). */
  readonly queueDepth: number;
  /** Prediction-log rows waiting to be written. */
  readonly logQueue: number;
}

interface Totals {
  readonly ts: number;
  readonly requests: number;
  readonly errors: number;
  readonly rejected: number;
  /** Cumulative count per bucket bound (seconds; Infinity last). */
  readonly latency: ReadonlyMap<number, number>;
  readonly batchSum: number;
  readonly batchCount: number;
}

type Values = readonly { readonly labels: Record<string, string | number | undefined>; readonly value: number; readonly metricName?: string }[];

async function values(registry: client.Registry, name: string): Promise<Values> {
  const m = registry.getSingleMetric(name);
  return m ? ((await m.get()).values as Values) : [];
}

async function readTotals(registry: client.Registry, ts: number): Promise<Totals> {
  let requests = 0, errors = 0, rejected = 0, batchSum = 0, batchCount = 0;
  for (const v of await values(registry, 'http_requests_total')) {
    if (!TRAFFIC_ROUTES.has(String(v.labels.route))) continue;
    const status = Number(v.labels.status);
    requests += v.value;
    if (status >= 500) errors += v.value;
    else if (status >= 400) rejected += v.value;
  }
  const latency = new Map<number, number>();
  for (const v of await values(registry, 'http_request_duration_seconds')) {
    if (!v.metricName?.endsWith('_bucket') || !TRAFFIC_ROUTES.has(String(v.labels.route))) continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    latency.set(le, (latency.get(le) ?? 0) + v.value);
  }
  for (const v of await values(registry, 'inference_batch_size')) {
    if (v.metricName?.endsWith('_sum')) batchSum += v.value;
    else if (v.metricName?.endsWith('_count')) batchCount += v.value;
  }
  return { ts, requests, errors, rejected, latency, batchSum, batchCount };
}

/** The q-quantile (0..1) of the observations between two cumulative histograms, in ms; null when there are none. */
export function histogramQuantile(now: ReadonlyMap<number, number>, before: ReadonlyMap<number, number> | undefined, q: number): number | null {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (now.get(le) ?? 0) - (before?.get(le) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const target = q * total;
  let lower = 0, below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const le = bounds[i]!;
    if (counts[i]! >= target) {
      if (le === Infinity) return lower * 1000; // beyond the last bound: the bound is all we know
      const inBucket = counts[i]! - below;
      return (lower + (inBucket > 0 ? ((target - below) / inBucket) * (le - lower) : 0)) * 1000;
    }
    below = counts[i]!;
    lower = le;
  }
  return lower * 1000;
}

export interface LiveMetricsDeps {
  readonly registry: client.Registry;
  readonly queueDepth: () => number;
  readonly logQueue: () => number;
  /** Points kept (one a tick). Default 300: 5 minutes at 1 s. */
  readonly keep?: number;
  readonly onError?: (err: unknown) => void;
}

export class LiveMetrics {
  readonly #d: LiveMetricsDeps;
  readonly #samples: LiveSample[] = [];
  /** The last 11 totals: the latency window is the newest minus the oldest. */
  readonly #totals: Totals[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(d: LiveMetricsDeps) {
    this.#d = d;
  }

  start(intervalMs: number): void {
    if (this.#timer) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  samples(): readonly LiveSample[] {
    return this.#samples;
  }

  latest(): LiveSample | undefined {
    return this.#samples[this.#samples.length - 1];
  }

  async tick(now = Date.now()): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const t = await readTotals(this.#d.registry, now);
      const prev = this.#totals[this.#totals.length - 1];
      this.#totals.push(t);
      if (this.#totals.length > 11) this.#totals.shift();
      if (!prev) return;
      const dt = Math.max(0.001, (t.ts - prev.ts) / 1000);
      const oldest = this.#totals[0]!;
      const runs = t.batchCount - prev.batchCount;
      this.#samples.push({
        ts: t.ts,
        requestsPerSec: (t.requests - prev.requests) / dt,
        errorsPerSec: (t.errors - prev.errors) / dt,
        rejectedPerSec: (t.rejected - prev.rejected) / dt,
        p50: histogramQuantile(t.latency, oldest.latency, 0.5),
        p95: histogramQuantile(t.latency, oldest.latency, 0.95),
        p99: histogramQuantile(t.latency, oldest.latency, 0.99),
        meanBatch: runs > 0 ? (t.batchSum - prev.batchSum) / runs : null,
        runsPerSec: runs / dt,
        queueDepth: this.#d.queueDepth(),
        logQueue: this.#d.logQueue(),
      });
      if (this.#samples.length > (this.#d.keep ?? 300)) this.#samples.shift();
    } catch (err) {
      this.#d.onError?.(err);
    } finally {
      this.#busy = false;
    }
  }
}
