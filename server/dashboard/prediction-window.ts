/**
 * The last 5 minutes of predictions, kept in memory as the server makes them (the app tees its prediction sink
 * here): per-second buckets of class counts, confidence bins and per-variant counts, latencies and agreement, and
 * the newest low-confidence rows. `observe` is O(1) and allocation-light, so watching costs the request path
 * nothing measurable, and the live panels never read the store. Feedback labels arrive later, through the store:
 * accuracy comes from labelled rows read there (`store-panels.ts`).
 */
import type { PredictionRecord } from '../../stores/prediction-log.ts';
import type { ClassShare, LowConfidenceRow, VariantStats } from './store-panels.ts';
import { quantile } from './store-panels.ts';

const KEEP_SECONDS = 300;
/** Latencies kept per variant per second (a uniform-enough sample for p50/p95 at any rate). */
const LATENCY_SAMPLES = 32;
const PAIR_MEMORY = 4096;

interface VariantBucket {
  count: number;
  errors: number;
  latencies: number[];
  pairs: number;
  agree: number;
}

interface Bucket {
  readonly sec: number;
  /** variant ('' for none) -> class -> count */
  readonly classes: Map<string, Map<string, number>>;
  /** variant -> ten bins of top-1 probability */
  readonly confidence: Map<string, number[]>;
  readonly variants: Map<string, VariantBucket>;
}

export interface WindowPanels {
  readonly rows: number;
  readonly classes: readonly ClassShare[];
  readonly confidence: readonly number[];
  readonly lowConfidence: readonly LowConfidenceRow[];
  /** Without accuracy (that needs labels: `withAccuracy`). */
  readonly variants: readonly VariantStats[];
}

export class PredictionWindow {
  readonly #lowConfidence: number;
  #buckets: Bucket[] = [];
  readonly #low: (LowConfidenceRow & { variantKey: string })[] = [];
  /** request id -> top-1 of each variant seen so far, to count agreement with `stable`. */
  readonly #pairs = new Map<string, Map<string, string | null>>();

  constructor(lowConfidence: number) {
    this.#lowConfidence = lowConfidence;
  }

  #bucket(ts: number): Bucket {
    const sec = Math.floor(ts / 1000);
    const last = this.#buckets[this.#buckets.length - 1];
    if (last && last.sec === sec) return last;
    if (last && sec < last.sec) return this.#buckets.find((b) => b.sec === sec) ?? last; // a late row: near enough
    const b: Bucket = { sec, classes: new Map(), confidence: new Map(), variants: new Map() };
    this.#buckets.push(b);
    while (this.#buckets.length && this.#buckets[0]!.sec <= sec - KEEP_SECONDS) this.#buckets.shift();
    return b;
  }

  observe(r: PredictionRecord): void {
    const b = this.#bucket(r.ts);
    const key = r.variant ?? '';
    const top = r.topK[0];
    if (top) {
      let classes = b.classes.get(key);
      if (!classes) b.classes.set(key, (classes = new Map()));
      classes.set(top.class, (classes.get(top.class) ?? 0) + 1);
      let bins = b.confidence.get(key);
      if (!bins) b.confidence.set(key, (bins = new Array<number>(10).fill(0)));
      bins[Math.min(9, Math.max(0, Math.floor(top.prob * 10)))]!++;
      if (top.prob < this.#lowConfidence) {
        this.#low.push({ ts: r.ts, requestId: r.requestId, class: top.class, prob: top.prob, modelVersion: r.modelVersion, variant: r.variant ?? null, variantKey: key });
        if (this.#low.length > 32) this.#low.shift();
      }
    }
    if (r.variant == null) return;
    let v = b.variants.get(r.variant);
    if (!v) b.variants.set(r.variant, (v = { count: 0, errors: 0, latencies: [], pairs: 0, agree: 0 }));
    v.count++;
    if (r.errorCode) v.errors++;
    else if (v.latencies.length < LATENCY_SAMPLES) v.latencies.push(r.latencyMs);
    else v.latencies[Math.floor(Math.random() * LATENCY_SAMPLES)] = r.latencyMs; // keep a sample, not the first ones
    if (r.errorCode) return;
    // Agreement: a non-stable row against the stable row of the same request, whichever arrives first.
    let seen = this.#pairs.get(r.requestId);
    if (!seen) {
      this.#pairs.set(r.requestId, (seen = new Map()));
      if (this.#pairs.size > PAIR_MEMORY) this.#pairs.delete(this.#pairs.keys().next().value!);
    }
    const mine = top?.class ?? null;
    if (r.variant === 'stable') {
      for (const [other, cls] of seen) this.#pair(b, other, cls === mine);
    } else if (seen.has('stable')) {
      this.#pair(b, r.variant, seen.get('stable') === mine);
    }
    seen.set(r.variant, mine);
  }

  #pair(b: Bucket, variant: string, agree: boolean): void {
    const v = b.variants.get(variant);
    if (!v) return; // counted in an older bucket: near enough to skip
    v.pairs++;
    if (agree) v.agree++;
  }

  panels(now: number, reference: Readonly<Record<string, number>> | null, shadows: ReadonlySet<string>): WindowPanels {
    const from = Math.floor(now / 1000) - KEEP_SECONDS;
    const counts = new Map<string, number>();
    const confidence = new Array<number>(10).fill(0);
    const variants = new Map<string, VariantBucket>();
    let rows = 0;
    for (const b of this.#buckets) {
      if (b.sec <= from) continue;
      for (const [key, classes] of b.classes) {
        if (shadows.has(key)) continue;
        for (const [c, n] of classes) (counts.set(c, (counts.get(c) ?? 0) + n)), (rows += n);
      }
      for (const [key, bins] of b.confidence) if (!shadows.has(key)) bins.forEach((n, i) => (confidence[i]! += n));
      for (const [name, v] of b.variants) {
        let t = variants.get(name);
        if (!t) variants.set(name, (t = { count: 0, errors: 0, latencies: [], pairs: 0, agree: 0 }));
        t.count += v.count;
        t.errors += v.errors;
        t.pairs += v.pairs;
        t.agree += v.agree;
        for (const l of v.latencies) t.latencies.push(l);
      }
    }
    let primary = 0;
    for (const [name, v] of variants) if (!shadows.has(name)) primary += v.count;
    const stable = variants.get('stable')?.count ?? primary;
    return {
      rows,
      classes: shares(counts, reference),
      confidence,
      lowConfidence: this.#low.filter((r) => r.ts > from * 1000 && !shadows.has(r.variantKey)).slice(-8).reverse().map(({ variantKey: _, ...r }) => r),
      variants: [...variants].sort((a, b) => a[0].localeCompare(b[0])).map(([variant, v]) => {
        const lat = v.latencies.sort((a, b) => a - b);
        const base = shadows.has(variant) ? stable : primary;
        return {
          variant, count: v.count, share: base > 0 ? Math.min(1, v.count / base) : 0, p50Ms: quantile(lat, 0.5), p95Ms: quantile(lat, 0.95),
          errorRate: v.count ? v.errors / v.count : 0, agreement: v.pairs ? v.agree / v.pairs : null, pairs: v.pairs, accuracy: null, labelled: 0,
        };
      }),
    };
  }
}

/** The `top` most frequent classes, then `other`, with the reference share of each when given. */
export function shares(counts: ReadonlyMap<string, number>, reference: Readonly<Record<string, number>> | null, top = 10): ClassShare[] {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return [];
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = sorted.slice(0, top);
  const out: ClassShare[] = shown.map(([c, n]) => ({ class: c, count: n, share: n / total, reference: reference ? (reference[c] ?? 0) : null }));
  const rest = sorted.slice(top);
  if (rest.length) {
    const n = rest.reduce((a, [, k]) => a + k, 0);
    const refShown = reference ? shown.reduce((a, [c]) => a + (reference[c] ?? 0), 0) : null;
    out.push({ class: `other (${rest.length} classes)`, count: n, share: n / total, reference: refShown === null ? null : Math.max(0, 1 - refShown) });
  }
  return out;
}
