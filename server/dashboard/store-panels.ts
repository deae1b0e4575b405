/**
 * Panels computed from prediction-log rows (pure functions; the snapshot builder reads the rows): predicted-class
 * distribution, confidence histogram, low-confidence predictions, feedback accuracy, and per-variant traffic share,
 * latency, agreement with the stable model and accuracy during a rollout.
 */
import type { LoggedPrediction } from '../../stores/prediction-log.ts';

export interface ClassShare {
  readonly class: string;
  readonly count: number;
  /** 0..1 of the rows with a class. */
  readonly share: number;
  /** The reference share (from monitoring), when known. */
  readonly reference: number | null;
}

export interface LowConfidenceRow {
  readonly ts: number;
  readonly requestId: string;
  readonly class: string | null;
  readonly prob: number | null;
  readonly modelVersion: number;
  readonly variant: string | null;
}

export interface VariantStats {
  readonly variant: string;
  readonly count: number;
  /** Share of the primary (non-shadow) rows, 0..1; a shadow's share is of all requests it mirrored. */
  readonly share: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Rows that failed (errorCode), 0..1. */
  readonly errorRate: number;
  /** Same top-1 as the stable variant on the same request, 0..1; null without pairs (or for stable itself). */
  readonly agreement: number | null;
  readonly pairs: number;
  /** Top-1 = feedback label, 0..1; null without labels. */
  readonly accuracy: number | null;
  readonly labelled: number;
}

export interface StorePanels {
  readonly windowStart: number;
  readonly rows: number;
  /** The window had more rows than were read: the panels describe the newest `rows`. */
  readonly truncated: boolean;
  readonly classes: readonly ClassShare[];
  /** Ten bins of top-1 probability: [0, 0.1), ..., [0.9, 1]. */
  readonly confidence: readonly number[];
  readonly lowConfidence: readonly LowConfidenceRow[];
  readonly feedback: { readonly labelled: number; readonly accuracy: number | null };
  readonly variants: readonly VariantStats[];
}

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

/** The `top` most frequent classes, then `other`, with the reference share of each when given. */
export function classShares(rows: readonly LoggedPrediction[], reference: Readonly<Record<string, number>> | null, top = 10): ClassShare[] {
  const counts = new Map<string, number>();
  let total = 0;
  for (const r of rows) {
    if (r.top1Class === null) continue;
    counts.set(r.top1Class, (counts.get(r.top1Class) ?? 0) + 1);
    total++;
  }
  if (total === 0) return [];
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = sorted.slice(0, top);
  const out: ClassShare[] = shown.map(([c, n]) => ({ class: c, count: n, share: n / total, reference: reference?.[c] ?? (reference ? 0 : null) }));
  const rest = sorted.slice(top);
  if (rest.length) {
    const n = rest.reduce((a, [, k]) => a + k, 0);
    const refShown = reference ? shown.reduce((a, [c]) => a + (reference[c] ?? 0), 0) : null;
    out.push({ class: `other (${rest.length} classes)`, count: n, share: n / total, reference: refShown === null ? null : Math.max(0, 1 - refShown) });
  }
  return out;
}

export function confidenceHistogram(rows: readonly LoggedPrediction[]): number[] {
  const bins = new Array<number>(10).fill(0);
  for (const r of rows) if (r.top1Prob !== null) bins[Math.min(9, Math.max(0, Math.floor(r.top1Prob * 10)))]!++;
  return bins;
}

export function variantStats(rows: readonly LoggedPrediction[], shadows: ReadonlySet<string>): VariantStats[] {
  const byVariant = new Map<string, LoggedPrediction[]>();
  const stableTop = new Map<string, string | null>();
  for (const r of rows) {
    if (r.variant == null) continue;
    let list = byVariant.get(r.variant);
    if (!list) byVariant.set(r.variant, (list = []));
    list.push(r);
    if (r.variant === 'stable') stableTop.set(r.requestId, r.top1Class);
  }
  let primary = 0;
  for (const [v, list] of byVariant) if (!shadows.has(v)) primary += list.length;
  return [...byVariant].sort((a, b) => a[0].localeCompare(b[0])).map(([variant, list]) => {
    const lat = list.filter((r) => !r.errorCode).map((r) => r.latencyMs).sort((a, b) => a - b);
    let pairs = 0, agree = 0, labelled = 0, correct = 0;
    for (const r of list) {
      if (variant !== 'stable' && stableTop.has(r.requestId) && !r.errorCode) {
        pairs++;
        if (stableTop.get(r.requestId) === r.top1Class) agree++;
      }
      if (r.label !== null && !r.errorCode) {
        labelled++;
        if (r.label === r.top1Class) correct++;
      }
    }
    const share = shadows.has(variant) ? ratio(list.length, stableTop.size || primary) ?? 0 : ratio(list.length, primary) ?? 0;
    return {
      variant, count: list.length, share: Math.min(1, share), p50Ms: quantile(lat, 0.5), p95Ms: quantile(lat, 0.95),
      errorRate: list.filter((r) => r.errorCode).length / list.length,
      agreement: ratio(agree, pairs), pairs, accuracy: ratio(correct, labelled), labelled,
    };
  });
}

export function storePanels(
  rows: readonly LoggedPrediction[],
  o: { windowStart: number; limit: number; lowConfidence: number; reference: Readonly<Record<string, number>> | null; shadows: ReadonlySet<string> },
): StorePanels {
  // One row per request for the class and confidence panels: the primary answer (variant null or not a shadow).
  const served = rows.filter((r) => r.variant == null || !o.shadows.has(r.variant));
  const labelled = served.filter((r) => r.label !== null && !r.errorCode);
  return {
    windowStart: o.windowStart,
    rows: rows.length,
    truncated: rows.length >= o.limit,
    classes: classShares(served, o.reference),
    confidence: confidenceHistogram(served),
    lowConfidence: served
      .filter((r) => r.top1Prob !== null && r.top1Prob < o.lowConfidence)
      .slice(0, 8)
      .map((r) => ({ ts: r.ts, requestId: r.requestId, class: r.top1Class, prob: r.top1Prob, modelVersion: r.modelVersion, variant: r.variant ?? null })),
    feedback: { labelled: labelled.length, accuracy: ratio(labelled.filter((r) => r.label === r.top1Class).length, labelled.length) },
    variants: variantStats(rows, o.shadows),
  };
}
