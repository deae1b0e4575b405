/**
 * The shapes of the prediction panels, and what is computed from prediction-log rows: per-variant statistics and
 * feedback accuracy (labels arrive through the store, after the prediction). The live counts themselves come from
 * memory (`prediction-window.ts`).
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
  /** Predictions in the window. */
  readonly rows: number;
  readonly classes: readonly ClassShare[];
  /** Ten bins of top-1 probability: [0, 0.1), ..., [0.9, 1]. */
  readonly confidence: readonly number[];
  readonly lowConfidence: readonly LowConfidenceRow[];
  /** null without a prediction store (labels are only there). */
  readonly feedback: { readonly labelled: number; readonly accuracy: number | null } | null;
  readonly variants: readonly VariantStats[];
}

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

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

/** Feedback accuracy of the labelled rows (primary answers only), overall and per variant. */
export function feedbackAccuracy(labelled: readonly LoggedPrediction[], shadows: ReadonlySet<string>): { labelled: number; accuracy: number | null; variants: Map<string, { labelled: number; accuracy: number | null }> } {
  const served = labelled.filter((r) => r.label !== null && !r.errorCode && (r.variant == null || !shadows.has(r.variant)));
  const variants = new Map<string, { labelled: number; accuracy: number | null }>();
  for (const v of variantStats(labelled.filter((r) => r.label !== null), shadows)) variants.set(v.variant, { labelled: v.labelled, accuracy: v.accuracy });
  return { labelled: served.length, accuracy: ratio(served.filter((r) => r.label === r.top1Class).length, served.length), variants };
}
