/** Per-variant Prometheus metrics of rollouts (created by `createMetrics` on the app's registry). */
import client from 'prom-client';

export interface VariantMetricsRecorder {
  /** One answer (or failure) of a variant; `role` primary or shadow. */
  observe(variant: string, version: number, role: 'primary' | 'shadow', seconds: number, ok: boolean): void;
  /** A mirror dropped because the server was busy or the queue was full. */
  shed(variant: string): void;
  /** The candidate was chosen but not loaded: the stable variant answered. */
  fallback(variant: string): void;
  /** The routing state: weight per variant (0..100) and the rollout's step (-1 without a rollout). */
  setRouting(weights: readonly { variant: string; weight: number }[], step: number): void;
  setQuality(variant: string, agreement: number | null, feedbackAccuracy: number | null): void;
}

export function createVariantMetrics(registry: client.Registry): VariantMetricsRecorder {
  const requests = new client.Counter({ name: 'rollout_variant_requests_total', help: 'Predictions per rollout variant and role (primary answers, shadow mirrors).', labelNames: ['variant', 'version', 'role'] as const, registers: [registry] });
  const errors = new client.Counter({ name: 'rollout_variant_errors_total', help: 'Failed predictions per rollout variant and role.', labelNames: ['variant', 'version', 'role'] as const, registers: [registry] });
  const latency = new client.Histogram({
    name: 'rollout_variant_latency_seconds', help: 'Prediction latency per rollout variant and role (a shadow: from the mirror start).',
    labelNames: ['variant', 'role'] as const, buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5], registers: [registry],
  });
  const shed = new client.Counter({ name: 'rollout_shadow_shed_total', help: 'Mirrored requests dropped under load (the answer was never affected).', labelNames: ['variant'] as const, registers: [registry] });
  const fallback = new client.Counter({ name: 'rollout_fallback_total', help: 'Requests routed to the candidate but answered by the stable variant (candidate not loaded).', labelNames: ['variant'] as const, registers: [registry] });
  const weight = new client.Gauge({ name: 'rollout_variant_weight', help: 'Share of primary traffic per variant, 0..100.', labelNames: ['variant'] as const, registers: [registry] });
  const step = new client.Gauge({ name: 'rollout_step', help: 'Index of the rollout step in progress (-1: no rollout).', registers: [registry] });
  const agreement = new client.Gauge({ name: 'rollout_variant_agreement', help: 'Share of mirrored requests where the variant agrees with the stable top-1 class.', labelNames: ['variant'] as const, registers: [registry] });
  const accuracy = new client.Gauge({ name: 'rollout_variant_feedback_accuracy', help: 'Accuracy per variant against feedback labels, over the rollout.', labelNames: ['variant'] as const, registers: [registry] });
  step.set(-1);
  return {
    observe(variant, version, role, seconds, ok) {
      requests.inc({ variant, version: String(version), role });
      if (!ok) errors.inc({ variant, version: String(version), role });
      else latency.observe({ variant, role }, seconds);
    },
    shed: (variant) => shed.inc({ variant }),
    fallback: (variant) => fallback.inc({ variant }),
    setRouting(weights, s) {
      weight.reset();
      for (const w of weights) weight.set({ variant: w.variant }, w.weight);
      step.set(s);
    },
    setQuality(variant, a, f) {
      if (a !== null) agreement.set({ variant }, a);
      if (f !== null) accuracy.set({ variant }, f);
    },
  };
}
