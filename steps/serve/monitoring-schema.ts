/**
 * `serve.with.monitoring` (and the `monitor` stage's `with`): windows, detector thresholds, alert hysteresis,
 * notification sinks and capture. Every key is optional; defaults follow Evidently and NannyML
 * (ml/monitoring/config.ts, ml/monitoring/README.md). `toMonitorConfig` maps the snake_case file keys onto the
 * library's config.
 */
import type { MonitorConfigInput } from '../../ml/monitoring/config.ts';
import { NUMERIC_IMAGE_STATS } from '../../ml/monitoring/image-stats.ts';
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';

const numericTest = (what: string) =>
  Type.Object(
    {
      method: StringEnum(['auto', 'ks', 'wasserstein', 'psi', 'chisquare', 'jensenshannon'], { default: 'auto', description: `Test per ${what}: auto = KS (p < 0.05) for a reference of <= 1000 values, normed Wasserstein (>= 0.1) above (Evidently).` }),
      threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "Overrides the method's default threshold (KS/chi2 p-value 0.05, Wasserstein/PSI/JS 0.1)." })),
    },
    { additionalProperties: false, default: {}, description: `Drift test per ${what}.` },
  );

const sink = Type.Union([
  Type.Object(
    {
      webhook: Type.String({ description: 'URL that receives each alert as a JSON POST (configuration only, never from a request). An empty string disables the sink (e.g. ${ALERT_WEBHOOK:-}).' }),
      timeout_ms: Type.Integer({ minimum: 1, default: 5000, description: 'Per attempt.' }),
      retries: Type.Integer({ minimum: 0, default: 3, description: 'Attempts after the first, with exponential backoff (0.5 s, 1 s, 2 s ...).' }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ file: Type.String({ description: 'JSONL file each alert is appended to (one line per alert, one write each).' }) }, { additionalProperties: false }),
  Type.Object({ log: Type.Boolean({ description: 'Write alerts to the process log.' }) }, { additionalProperties: false }),
]);

export const monitoringSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Run the monitor loop inside the server (drift gauges in /metrics, alerts to the sinks).' }),
    window: Type.Object(
      {
        requests: Type.Integer({ minimum: 10, default: 200, description: 'Window = the newest this many predictions of the served version.' }),
        minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Window = the predictions of the last this many minutes instead (at most `requests` of them).' })),
      },
      { additionalProperties: false, default: {}, description: 'Which predictions form a window: the newest N, or the last M minutes.' },
    ),
    interval_s: Type.Number({ exclusiveMinimum: 0, default: 60, description: 'How often the server loop evaluates (only when at least one new window of requests arrived since the last).' }),
    detectors: Type.Object(
      {
        input_drift: Type.Object(
          {
            test: numericTest('input statistic'),
            drift_share: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: "Input drift when at least this share of the statistics drifted (Evidently's drift_share)." }),
            stats: Type.Optional(Type.Array(StringEnum(NUMERIC_IMAGE_STATS), { minItems: 1, description: 'Statistics counted (default: the 12 pixel statistics).' })),
          },
          { additionalProperties: false, default: {}, description: 'Per-statistic tests on the input photos (channel means and deviations, brightness, contrast, saturation, exposure shares, sharpness).' },
        ),
        embedding_drift: Type.Object(
          {
            alpha: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.05, description: 'MMD permutation-test p-value below which the embedding drifted.' }),
            permutations: Type.Integer({ minimum: 19, default: 500, description: 'Permutations of the MMD test (p-value resolution 1/(n+1)).' }),
            max_window: Type.Integer({ minimum: 2, default: 300, description: 'Window subsampled to this size (MMD costs O(n^2)).' }),
          },
          { additionalProperties: false, default: {}, description: 'MMD (Gaussian kernel, permutation test) between the projected embeddings of the window and the reference.' },
        ),
        out_of_scope: Type.Object(
          {
            max_share: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Share of out-of-scope photos tolerated (default: the calibrated false-positive rate, 5%).' })),
            alpha: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.01, description: 'Binomial test of the share against the calibrated rate.' }),
          },
          { additionalProperties: false, default: {}, description: 'Share of photos whose Mahalanobis distance to the class centroids exceeds the threshold calibrated on the test split (5% false positives).' },
        ),
        prediction_drift: Type.Object(
          {
            method: StringEnum(['auto', 'chisquare', 'chi2_contingency', 'jensenshannon'], { default: 'auto', description: 'auto: two-sample chi-squared (p < 0.05) for <= 1000 reference predictions, Jensen-Shannon (>= 0.1) above.' }),
            threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Overrides the default (p-value 0.05 for chi-squared, distance 0.1 for Jensen-Shannon).' })),
          },
          { additionalProperties: false, default: {}, description: 'The mix of predicted classes against the reference.' },
        ),
        confidence_drift: numericTest('top-1 probability'),
        estimated_accuracy: Type.Object(
          { max_drop: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Alert when CBPE falls this far below the reference accuracy (default: 3 sd of a window of this size, NannyML).' })) },
          { additionalProperties: false, default: {}, description: 'Label-free accuracy estimate from the confidences (CBPE, calibrated on the test split).' },
        ),
        feedback_accuracy: Type.Object(
          {
            min_samples: Type.Integer({ minimum: 1, default: 30, description: 'Labelled predictions needed in the window.' }),
            tolerance: Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.05, description: 'Alert when the Wilson upper bound is below reference accuracy minus this.' }),
          },
          { additionalProperties: false, default: {}, description: 'Accuracy from feedback labels (POST /feedback, pipeline data label) where they exist.' },
        ),
        latency: Type.Object(
          {
            p50_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "SLO on the window's median server latency." })),
            p95_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "SLO on the window's p95 server latency." })),
            p99_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'SLO on the window\'s p99 server latency.' })),
          },
          { additionalProperties: false, default: {}, description: 'Server latency percentiles per window against an SLO (no SLO set: reported, never drift).' },
        ),
      },
      { additionalProperties: false, default: {}, description: 'Thresholds of each detector; defaults follow Evidently and NannyML.' },
    ),
    hysteresis: Type.Object(
      {
        fire_after: Type.Integer({ minimum: 1, default: 2, description: 'Consecutive drifted windows before an alert fires.' }),
        clear_after: Type.Integer({ minimum: 1, default: 3, description: 'Consecutive clean windows before it clears.' }),
      },
      { additionalProperties: false, default: {}, description: 'Alerts per (model, detector) fire and clear only after a run of windows, so a flapping score does not spam.' },
    ),
    notify: Type.Array(sink, { default: [{ log: true }], description: 'Where alerts and rollout events (rolled back, promoted, paused, ...) go: webhook, JSONL file, log.' }),
    capture: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Keep a bounded, sampled set of unsure and out-of-scope uploads with their request ids for relabelling (opt-in).' }),
        dir: Type.String({ default: 'data/captured', description: 'Where captured uploads and their JSON sidecars go.' }),
        out_of_scope: Type.Boolean({ default: true, description: "Capture uploads beyond the version's calibrated out-of-scope threshold." }),
        low_confidence: Type.Number({ minimum: 0, maximum: 1, default: 0.4, description: 'Capture uploads whose top-1 probability is below this (0: never).' }),
        sample: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Share of the qualifying uploads kept.' }),
        max_images: Type.Integer({ minimum: 1, default: 1000, description: 'The set stops growing at this many photos.' }),
        max_mb: Type.Number({ exclusiveMinimum: 0, default: 500, description: '... or at this many megabytes.' }),
      },
      { additionalProperties: false, default: {}, description: 'Capture for relabelling: `pipeline data label <request_id> <class>` labels a captured upload (and records the feedback).' },
    ),
    retrain_command: Type.String({ default: 'npx pipeline run pipelines/food101.yaml', description: 'The command an alert tells a person to run (retraining is never automatic).' }),
    report_dir: Type.String({ default: 'outputs/monitoring', description: 'Where `pipeline monitor --report` and the monitor stage write report.md and its plots.' }),
  },
  { additionalProperties: false, default: {}, description: 'Model and data monitoring: windows of the prediction log against the version\'s reference profile, alerts to sinks (never automatic retraining).' },
);

export type MonitoringParams = Static<typeof monitoringSchema>;
export type SinkParams = MonitoringParams['notify'][number];

/** The library's configuration from the file's keys. */
export function toMonitorConfig(p: MonitoringParams): MonitorConfigInput {
  const d = p.detectors;
  const lat = d.latency;
  return {
    inputDrift: { test: { method: d.input_drift.test.method, threshold: d.input_drift.test.threshold }, driftShare: d.input_drift.drift_share, ...(d.input_drift.stats ? { stats: d.input_drift.stats } : {}) },
    embeddingDrift: { alpha: d.embedding_drift.alpha, permutations: d.embedding_drift.permutations, maxWindow: d.embedding_drift.max_window },
    outOfScope: { alpha: d.out_of_scope.alpha, ...(d.out_of_scope.max_share !== undefined ? { maxShare: d.out_of_scope.max_share } : {}) },
    predictionDrift: { method: d.prediction_drift.method, threshold: d.prediction_drift.threshold },
    confidenceDrift: { method: d.confidence_drift.method, threshold: d.confidence_drift.threshold },
    estimatedAccuracy: d.estimated_accuracy.max_drop !== undefined ? { maxDrop: d.estimated_accuracy.max_drop } : {},
    feedbackAccuracy: { minSamples: d.feedback_accuracy.min_samples, tolerance: d.feedback_accuracy.tolerance },
    latency: { ...(lat.p50_ms !== undefined ? { p50Ms: lat.p50_ms } : {}), ...(lat.p95_ms !== undefined ? { p95Ms: lat.p95_ms } : {}), ...(lat.p99_ms !== undefined ? { p99Ms: lat.p99_ms } : {}) },
    hysteresis: { fireAfter: p.hysteresis.fire_after, clearAfter: p.hysteresis.clear_after },
  };
}
