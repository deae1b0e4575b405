/**
 * Prometheus metrics on a registry owned by one app (never prom-client's global default: two apps in one
 * process must not collide). Route labels are the matched route pattern, so unknown URLs cannot blow up
 * cardinality.
 */
import client from 'prom-client';
import { CPU_BUDGET } from './config.ts';
import type { LoadedModel } from './model-loader.ts';
import { createVariantMetrics, type VariantMetricsRecorder } from './rollout-metrics.ts';

export interface ServerMetrics {
  readonly registry: client.Registry;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  observeInference(batchSize: number, seconds: number): void;
  observePrediction(alias: string, version: number, topClass: string): void;
  modelInstalled(alias: string, model: LoadedModel, previous: LoadedModel | undefined): void;
  swapFailed(alias: string): void;
  /** A prediction answered 503 because its row could not be committed (`log_durability: answered`). */
  logCommitFailed(): void;
  /** A monitoring window's detector scores (drift gauges); `alerting` = the detectors whose alert is active. */
  observeMonitoring(model: string, version: number, results: readonly { detector: string; score: number; threshold: number; verdict: string }[], alerting: ReadonlySet<string>): void;
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
  const commitFailures = new client.Counter({
    name: 'prediction_log_commit_failures_total',
    help: 'Predictions answered 503 because their log row could not be committed (log_durability: answered).',
    registers: [registry],
  });
  new client.Gauge({
    name: 'server_cpu_budget_cpus',
    help: 'CPUs this process is given (cgroup quota, CPU affinity: server/cpu-budget.ts), which its thread and batch settings derive from.',
    registers: [registry],
    collect() {
      this.set(CPU_BUDGET.cpus);
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

  const driftScore = new client.Gauge({
    name: 'monitoring_drift_score',
    help: "Each detector's score on the newest monitored window (p-value, share, distance, accuracy or ms: see the method in `pipeline monitor`).",
    labelNames: ['model', 'version', 'detector'] as const,
    registers: [registry],
  });
  const driftThreshold = new client.Gauge({
    name: 'monitoring_drift_threshold',
    help: "Each detector's threshold on the newest monitored window.",
    labelNames: ['model', 'version', 'detector'] as const,
    registers: [registry],
  });
  const driftDetected = new client.Gauge({
    name: 'monitoring_drift_detected',
    help: '1 when the detector found drift in the newest window, 0 when not, -1 when the window could not tell (too few labels, no SLO).',
    labelNames: ['model', 'version', 'detector'] as const,
    registers: [registry],
  });
  const alertActive = new client.Gauge({
    name: 'monitoring_alert_active',
    help: '1 while the detector has an active alert (after hysteresis), else 0.',
    labelNames: ['model', 'detector'] as const,
    registers: [registry],
  });
  const windows = new client.Counter({
    name: 'monitoring_windows_total',
    help: 'Windows of the prediction log evaluated by the monitor loop.',
    labelNames: ['model'] as const,
    registers: [registry],
  });

  return {
    registry,
    observeMonitoring(model, version, results, alerting) {
      windows.inc({ model });
      for (const r of results) {
        const labels = { model, version: String(version), detector: r.detector };
        if (Number.isFinite(r.score)) driftScore.set(labels, r.score);
        else driftScore.remove(labels);
        if (Number.isFinite(r.threshold)) driftThreshold.set(labels, r.threshold);
        driftDetected.set(labels, r.verdict === 'drift' ? 1 : r.verdict === 'ok' ? 0 : -1);
        alertActive.set({ model, detector: r.detector }, alerting.has(r.detector) ? 1 : 0);
      }
    },
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
    logCommitFailed() {
      commitFailures.inc();
    },
  };
}
