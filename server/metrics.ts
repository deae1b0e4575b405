/**
 * Prometheus metrics on a registry owned by one app (never prom-client's global default: two apps in one
 * process must not collide). Route labels are the matched route pattern, so unknown URLs cannot blow up
 * cardinality.
 */
import client from 'prom-client';
import type { LoadedModel } from './model-loader.ts';
import { createVariantMetrics, type VariantMetricsRecorder } from './rollout-metrics.ts';

export interface ServerMetrics {
  readonly registry: client.Registry;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  observeInference(batchSize: number, seconds: number): void;
  observePrediction(alias: string, version: number, topClass: string): void;
  modelInstalled(alias: string, model: LoadedModel, previous: LoadedModel | undefined): void;
  swapFailed(alias: string): void;
  /** Per rollout variant (rollout-metrics.ts). */
  readonly variants: VariantMetricsRecorder;
}

export function createMetrics(opts: {
  queueLength: () => number;
  inFlight: () => number;
  droppedRows?: () => number;
  uploadBytes?: () => number;
  defaultMetrics?: boolean;
}): ServerMetrics {
  const registry = new client.Registry();
  if (opts.defaultMetrics !== false) client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request arrival to response, by route pattern.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const inference = new client.Histogram({
    name: 'inference_duration_seconds',
    help: 'onnxruntime time per batched run.',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
    registers: [registry],
  });
  const batchSize = new client.Histogram({
    name: 'inference_batch_size',
    help: 'Images per onnxruntime run (micro-batching).',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  const loaded = new client.Gauge({
    name: 'model_loaded_info',
    help: '1 for each model version currently served, by model name, version and alias.',
    labelNames: ['model', 'version', 'alias'] as const,
    registers: [registry],
  });
  const swaps = new client.Counter({
    name: 'model_swaps_total',
    help: 'Model loads into a serving slot, by alias and result (ok, failed).',
    labelNames: ['alias', 'result'] as const,
    registers: [registry],
  });
  const predictions = new client.Counter({
    name: 'predictions_total',
    help: 'Answered predictions by alias, model version and top-1 class (watch for label drift).',
    labelNames: ['alias', 'version', 'class'] as const,
    registers: [registry],
  });
  new client.Gauge({
    name: 'prediction_log_queue_length',
    help: 'Prediction-log rows waiting to be written.',
    registers: [registry],
    collect() {
      this.set(opts.queueLength());
    },
  });
  new client.Gauge({
    name: 'prediction_log_dropped_rows',
    help: 'Prediction-log rows lost after failed writes since start (a locked store, a full disk).',
    registers: [registry],
    collect() {
      this.set(opts.droppedRows?.() ?? 0);
    },
  });
  new client.Gauge({
    name: 'upload_budget_used_bytes',
    help: 'Request-body bytes the process holds now (uploads arriving and being processed), against upload_budget.',
    registers: [registry],
    collect() {
      this.set(opts.uploadBytes?.() ?? 0);
    },
  });
  new client.Gauge({
    name: 'http_requests_in_flight',
    help: 'Prediction requests being processed now.',
    registers: [registry],
    collect() {
      this.set(opts.inFlight());
    },
  });

  return {
    registry,
    variants: createVariantMetrics(registry),
    observeRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route, method }, seconds);
    },
    observeInference(n, seconds) {
      inference.observe(seconds);
      batchSize.observe(n);
    },
    observePrediction(alias, version, topClass) {
      predictions.inc({ alias, version: String(version), class: topClass });
    },
    modelInstalled(alias, model, previous) {
      if (previous) loaded.remove({ model: previous.name, version: String(previous.version), alias });
      loaded.set({ model: model.name, version: String(model.version), alias }, 1);
      swaps.inc({ alias, result: 'ok' });
    },
    swapFailed(alias) {
      swaps.inc({ alias, result: 'failed' });
    },
  };
}
