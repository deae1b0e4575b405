/**
 * One measurement of an analysis template: every metric of the candidate against its threshold (absolute, or
 * relative to the stable variant over the same window). Too few observations is `inconclusive`, never a pass.
 */
import type { AnalysisMetricSpec, AnalysisTemplate } from './spec.ts';
import type { VariantSummary } from './types.ts';

export interface MetricVerdict {
  readonly metric: string;
  readonly value: number | null;
  readonly stable: number | null;
  readonly threshold: string;
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly samples: number;
  /** The stable variant's, when the threshold is relative to it (too few of them is inconclusive too). */
  readonly stableSamples?: number;
}

export interface Measurement {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  readonly metrics: readonly MetricVerdict[];
}

const DEFAULT_MIN_SAMPLES = 20;

function valueOf(s: VariantSummary, metric: AnalysisMetricSpec['metric']): { value: number | null; samples: number } {
  switch (metric) {
    case 'error_rate': return { value: s.errorRate, samples: s.requests };
    case 'latency_p99_ms': return { value: s.latencyP99Ms, samples: s.requests - s.errors };
    case 'mean_confidence': return { value: s.meanConfidence, samples: s.requests - s.errors };
    case 'feedback_accuracy': return { value: s.feedbackAccuracy, samples: s.labelled };
    case 'agreement_with_stable': return { value: s.agreement, samples: s.paired };
  }
}

const round = (x: number) => Number(x.toPrecision(4));

export function checkMetric(m: AnalysisMetricSpec, candidate: VariantSummary, stable: VariantSummary): MetricVerdict {
  const { value, samples } = valueOf(candidate, m.metric);
  const s = valueOf(stable, m.metric);
  const min = m.min_samples ?? DEFAULT_MIN_SAMPLES;
  const limits: string[] = [];
  const fails: boolean[] = [];
  const relative = m.max_ratio_to_stable !== undefined || m.min_delta_to_stable !== undefined;
  if (m.max !== undefined) limits.push(`<= ${m.max}`);
  if (m.min !== undefined) limits.push(`>= ${m.min}`);
  if (m.max_ratio_to_stable !== undefined) limits.push(`<= ${m.max_ratio_to_stable} x stable${s.value !== null ? ` (${round(s.value * m.max_ratio_to_stable)})` : ''}`);
  if (m.min_delta_to_stable !== undefined) limits.push(`>= stable ${m.min_delta_to_stable >= 0 ? '+' : ''}${m.min_delta_to_stable}${s.value !== null ? ` (${round(s.value + m.min_delta_to_stable)})` : ''}`);
  const threshold = limits.join(', ') || 'none';
  const base = { metric: m.metric, value, stable: s.value, threshold, samples, ...(relative ? { stableSamples: s.samples } : {}) };
  if (value === null || samples < min || (relative && (s.value === null || s.samples < min))) return { ...base, verdict: 'inconclusive' };
  if (m.max !== undefined) fails.push(value > m.max);
  if (m.min !== undefined) fails.push(value < m.min);
  // A latency ratio against a stable p99 of ~0 ms is meaningless: compare with at least 1 ms.
  if (m.max_ratio_to_stable !== undefined) fails.push(value > Math.max(s.value!, m.metric === 'latency_p99_ms' ? 1 : 0) * m.max_ratio_to_stable);
  if (m.min_delta_to_stable !== undefined) fails.push(value < s.value! + m.min_delta_to_stable);
  return { ...base, verdict: fails.some(Boolean) ? 'fail' : 'pass' };
}

/** Any failing metric fails the measurement; else any inconclusive one makes it inconclusive. */
export function measure(t: AnalysisTemplate, candidate: VariantSummary, stable: VariantSummary): Measurement {
  const metrics = t.metrics.map((m) => checkMetric(m, candidate, stable));
  const verdict = metrics.some((m) => m.verdict === 'fail') ? 'fail' : metrics.some((m) => m.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  return { verdict, metrics };
}
