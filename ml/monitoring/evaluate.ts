/**
 * One monitored window against a reference profile: runs every detector with thresholds from the config and
 * returns per-detector {score, threshold, verdict}, plus the likely cause in words. Pure: no I/O, no state.
 */
import { chiSquareDrift, chiSquareHomogeneityDrift, jensenShannonDrift } from './stats/categorical.ts';
import { accuracyThreshold, estimateAccuracy } from './cbpe.ts';
import { describeCauses } from './causes.ts';
import { resolveMonitorConfig, type MonitorConfigInput } from './config.ts';
import { NUMERIC_IMAGE_STATS, type ImageStats, type NumericImageStat } from './image-stats.ts';
import { mmdTest } from './mmd.ts';
import { outOfScopeScore, outOfScopeWindow } from './out-of-scope.ts';
import { latencyWindow } from './latency.ts';
import { assertProfile, type ReferenceProfile } from './profile.ts';
import { numericDrift, SMALL_REFERENCE_MAX } from './stats/numeric-drift.ts';
import type { DriftResult } from './stats/types.ts';
import { wilsonInterval } from './wilson.ts';
import { mulberry32, shuffled } from '../random.ts';

/** One prediction of the window, as the log keeps it. */
export interface WindowRecord {
  readonly stats: Pick<ImageStats, NumericImageStat> & { readonly format?: string };
  /** Projected embedding (profile.projection.dim numbers), when the log has it. */
  readonly embedding?: ArrayLike<number>;
  readonly predictedClass: string;
  readonly confidence: number;
  /** Ground truth from feedback, when it arrived. */
  readonly label?: string;
  /** Server-side inference time of the request, when logged. */
  readonly latencyMs?: number;
}

/** The detectors, by their stable names (store rows, gauges and alerts use these). */
export const DETECTORS = ['input_drift', 'embedding_drift', 'out_of_scope', 'prediction_drift', 'confidence_drift', 'estimated_accuracy', 'feedback_accuracy', 'latency'] as const;
/** One of DETECTORS. */
export type DetectorName = (typeof DETECTORS)[number];

/** One detector's outcome. `insufficient` = not enough data in the window to judge (e.g. too few labels). */
export interface DetectorResult {
  readonly method: string;
  readonly score: number;
  readonly threshold: number;
  readonly verdict: 'drift' | 'ok' | 'insufficient';
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Everything one window produced. */
export interface WindowEvaluation {
  readonly n: number;
  readonly detectors: Readonly<Record<DetectorName, DetectorResult>>;
  /** Likely causes in words; empty when nothing drifted. */
  readonly causes: string[];
  readonly drifted: boolean;
}

const verdict = (d: boolean): 'drift' | 'ok' => (d ? 'drift' : 'ok');
const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
const fromDrift = (r: DriftResult, details?: Record<string, unknown>): DetectorResult => ({ method: r.method, score: r.score, threshold: r.threshold, verdict: verdict(r.drifted), ...(details ? { details } : {}) });

/** Evaluates one window. Throws on an empty window or a profile of another version. */
export function evaluateWindow(profile: ReferenceProfile, window: readonly WindowRecord[], config: MonitorConfigInput = {}): WindowEvaluation {
  assertProfile(profile, 'evaluateWindow');
  const cfg = resolveMonitorConfig(config);
  const n = window.length;
  if (n === 0) throw new Error('evaluateWindow: the window is empty; wait for predictions or widen the window');

  // Input drift: one test per statistic, dataset drift when a share of them drifted (Evidently).
  const perStat: Partial<Record<NumericImageStat, DriftResult>> = {};
  for (const s of NUMERIC_IMAGE_STATS) perStat[s] = numericDrift(profile.stats[s], window.map((w) => w.stats[s]), cfg.inputDrift.test);
  const counted = cfg.inputDrift.stats;
  const driftedStats = new Set(counted.filter((s) => perStat[s]!.drifted));
  const share = driftedStats.size / counted.length;
  const inputDrift: DetectorResult = {
    method: `share of ${counted.length} statistics drifted (${perStat[counted[0]!]!.method})`,
    score: share,
    threshold: cfg.inputDrift.driftShare,
    verdict: verdict(share >= cfg.inputDrift.driftShare),
    details: Object.fromEntries(NUMERIC_IMAGE_STATS.map((s) => [s, perStat[s]])),
  };

  // Embedding drift (MMD) and out-of-scope share, on the projected embeddings.
  const dim = profile.projection.dim;
  window.forEach((w, i) => {
    if (w.embedding && w.embedding.length !== dim) {
      throw new Error(`evaluateWindow: record ${i} has a ${w.embedding.length}-number embedding, the profile's projection gives ${dim}; the window was logged under another projection: evaluate it against its own model version's profile`);
    }
  });
  const withEmb = window.filter((w) => w.embedding !== undefined);
  let embeddingDrift: DetectorResult = { method: 'mmd', score: NaN, threshold: cfg.embeddingDrift.alpha, verdict: 'insufficient' };
  const oosMaxShare = cfg.outOfScope.maxShare ?? profile.outOfScope.fpr;
  let outOfScope: DetectorResult = { method: 'mahalanobis share', score: NaN, threshold: oosMaxShare, verdict: 'insufficient' };
  let oosShare = 0;
  if (withEmb.length >= 2) {
    const sample = withEmb.length <= cfg.embeddingDrift.maxWindow ? withEmb : shuffled(withEmb, mulberry32(cfg.embeddingDrift.seed)).slice(0, cfg.embeddingDrift.maxWindow);
    const y = new Float64Array(sample.length * dim);
    sample.forEach((w, i) => y.set(Array.from(w.embedding!), i * dim));
    const x = new Float64Array(profile.embeddings.length * dim);
    profile.embeddings.forEach((e, i) => x.set(e, i * dim));
    const m = mmdTest(x, profile.embeddings.length, y, sample.length, dim, cfg.embeddingDrift);
    embeddingDrift = { ...fromDrift(m), details: { statistic: m.statistic, bandwidth: m.bandwidth, n: sample.length } };
    const scores = withEmb.map((w) => outOfScopeScore(profile.outOfScope, w.embedding!));
    const o = outOfScopeWindow(profile.outOfScope, scores, cfg.outOfScope);
    oosShare = o.share;
    outOfScope = { method: 'mahalanobis share', score: o.share, threshold: oosMaxShare, verdict: verdict(o.drifted), details: { count: o.count, n: o.n, pValue: o.pValue, fpr: profile.outOfScope.fpr, scoreThreshold: profile.outOfScope.threshold } };
  }

  // Predicted classes (two-sample chi-squared for small references, Jensen-Shannon for large) and confidences.
  const classes = window.map((w) => w.predictedClass);
  const pm = cfg.predictionDrift.method === 'auto' ? (profile.predictedClasses.length <= SMALL_REFERENCE_MAX ? 'chi2_contingency' : 'jensenshannon') : cfg.predictionDrift.method;
  const pt = cfg.predictionDrift.threshold;
  const pd = pm === 'chisquare' ? chiSquareDrift(profile.predictedClasses, classes, pt) : pm === 'chi2_contingency' ? chiSquareHomogeneityDrift(profile.predictedClasses, classes, pt) : jensenShannonDrift(profile.predictedClasses, classes, pt);
  const confidences = window.map((w) => w.confidence);
  const confidenceDrift = fromDrift(numericDrift(profile.confidences, confidences, cfg.confidenceDrift));

  // Label-free accuracy (CBPE) and, where labels came back, feedback accuracy.
  const est = estimateAccuracy(profile.accuracy, confidences);
  const estThreshold = accuracyThreshold(profile.accuracy, n, cfg.estimatedAccuracy.maxDrop);
  const estimated: DetectorResult = { method: 'cbpe', score: est.estimate, threshold: estThreshold, verdict: verdict(est.estimate < estThreshold), details: { std: est.std, referenceAccuracy: profile.accuracy.referenceAccuracy } };
  const labelled = window.filter((w) => w.label !== undefined);
  const fbThreshold = profile.accuracy.referenceAccuracy - cfg.feedbackAccuracy.tolerance;
  let feedback: DetectorResult = { method: 'wilson', score: NaN, threshold: fbThreshold, verdict: 'insufficient', details: { labelled: labelled.length } };
  if (labelled.length >= cfg.feedbackAccuracy.minSamples) {
    const w = wilsonInterval(labelled.filter((r) => r.label === r.predictedClass).length, labelled.length, cfg.feedbackAccuracy.confidence);
    feedback = { method: 'wilson', score: w.estimate, threshold: fbThreshold, verdict: verdict(w.upper < fbThreshold), details: { lower: w.lower, upper: w.upper, labelled: w.n } };
  }

  const latencies = window.flatMap((w) => (w.latencyMs === undefined ? [] : [w.latencyMs]));
  const slo = cfg.latency;
  const sloBound = slo.p99Ms ?? slo.p95Ms ?? slo.p50Ms;
  let latency: DetectorResult = { method: 'p99 vs SLO', score: NaN, threshold: sloBound ?? NaN, verdict: 'insufficient' };
  if (latencies.length > 0) {
    const l = latencyWindow(latencies, slo);
    const which = slo.p99Ms !== undefined ? 'p99' : slo.p95Ms !== undefined ? 'p95' : slo.p50Ms !== undefined ? 'p50' : 'p99';
    latency = { method: `${which} vs SLO`, score: l[which], threshold: sloBound ?? NaN, verdict: sloBound === undefined ? 'insufficient' : verdict(l.breached.length > 0), details: { ...l } };
  }

  const detectors: Record<DetectorName, DetectorResult> = {
    input_drift: inputDrift,
    embedding_drift: embeddingDrift,
    out_of_scope: outOfScope,
    prediction_drift: fromDrift(pd),
    confidence_drift: confidenceDrift,
    estimated_accuracy: estimated,
    feedback_accuracy: feedback,
    latency,
  };
  const means = (rows: readonly (Readonly<Record<NumericImageStat, number>>)[]) => Object.fromEntries(NUMERIC_IMAGE_STATS.map((s) => [s, mean(rows.map((r) => r[s]))])) as Record<NumericImageStat, number>;
  const refMeans = Object.fromEntries(NUMERIC_IMAGE_STATS.map((s) => [s, mean(profile.stats[s])])) as Record<NumericImageStat, number>;
  const causes = describeCauses({
    reference: refMeans,
    window: means(window.map((w) => w.stats)),
    driftedStats,
    inputDrift: inputDrift.verdict === 'drift',
    embeddingDrift: embeddingDrift.verdict === 'drift',
    outOfScope: { drifted: outOfScope.verdict === 'drift', share: oosShare, expected: profile.outOfScope.fpr },
    predictionDrift: detectors.prediction_drift.verdict === 'drift',
    accuracy: { drifted: estimated.verdict === 'drift', reference: profile.accuracy.referenceAccuracy, estimate: est.estimate },
  });
  return { n, detectors, causes, drifted: Object.values(detectors).some((d) => d.verdict === 'drift') };
}
