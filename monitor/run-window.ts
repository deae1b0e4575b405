/**
 * One monitoring pass: the newest window of a model's prediction log against its version's reference profile,
 * every detector, one stored row per detector, the alert state stepped per detector (hysteresis), and the alerts
 * that fired or cleared sent to the sinks. Used by `pipeline monitor`, the `monitor` stage and the server loop.
 */
import { resolveMonitorConfig, type MonitorConfigInput } from '../ml/monitoring/config.ts';
import { DETECTORS, evaluateWindow, type DetectorName, type WindowEvaluation, type WindowRecord } from '../ml/monitoring/evaluate.ts';
import { stepAlert } from '../ml/monitoring/hysteresis.ts';
import { NUMERIC_IMAGE_STATS, type NumericImageStat } from '../ml/monitoring/image-stats.ts';
import { assertProfile, type ReferenceProfile } from '../ml/monitoring/profile.ts';
import type { LoggedPrediction, PredictionLog } from '../stores/prediction-log.ts';
import type { AlertStepper, MonitoringAlert, MonitoringStore, StoredDetectorResult } from '../stores/monitoring-store.ts';
import { deliver, type AlertSink, type SinkLogger } from './sinks.ts';

export interface WindowSpec {
  /** The newest this many predictions (default 200). */
  readonly requests?: number;
  /** Only predictions at or after this time (ms since epoch). */
  readonly sinceTs?: number;
}

export interface MonitorPassOptions {
  readonly model: string;
  /** Default: the version of the newest logged prediction. */
  readonly version?: number;
  readonly window?: WindowSpec;
  readonly config?: MonitorConfigInput;
  readonly sinks?: readonly AlertSink[];
  readonly retrainCommand?: string;
  readonly log: SinkLogger;
  /** Fewer usable predictions than this: no evaluation (default 30). */
  readonly minWindow?: number;
  /** Where the detectors run (default: here; the server passes `evaluateOffThread`). */
  readonly evaluate?: (profile: ReferenceProfile, window: readonly WindowRecord[], config: MonitorConfigInput) => Promise<WindowEvaluation>;
}

export interface MonitorPass {
  readonly model: string;
  readonly version: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly evaluation: WindowEvaluation;
  readonly alerts: readonly MonitoringAlert[];
  /** The window's records, oldest first (report plots). */
  readonly window: readonly WindowRecord[];
  readonly profile: ReferenceProfile;
}

/** Why no pass ran (no predictions, no profile, too small a window): said to the caller, not thrown. */
export class MonitorSkipped extends Error {}

const DETECTOR_WORDS: Record<DetectorName, string> = {
  input_drift: 'input statistics drifted',
  embedding_drift: 'embedding drift',
  out_of_scope: 'out-of-scope photos',
  prediction_drift: 'predicted-class mix changed',
  confidence_drift: 'confidence distribution changed',
  estimated_accuracy: 'estimated accuracy dropped',
  feedback_accuracy: 'accuracy from feedback dropped',
  latency: 'latency above the SLO',
};

/** A logged prediction as the detectors read it; null when it lacks the monitoring fields (older rows, errors). */
export function toWindowRecord(p: LoggedPrediction): WindowRecord | null {
  const s = p.inputStats;
  if (!s || p.errorCode || p.top1Class === null || p.top1Prob === null) return null;
  const stats: Partial<Record<NumericImageStat, number>> = {};
  for (const k of NUMERIC_IMAGE_STATS) {
    const v = s[k];
    if (typeof v !== 'number') return null;
    stats[k] = v;
  }
  return {
    stats: { ...(stats as Record<NumericImageStat, number>), format: p.imageFormat ?? undefined },
    ...(p.embedding ? { embedding: p.embedding } : {}),
    predictedClass: p.top1Class,
    confidence: p.top1Prob,
    ...(p.label !== null ? { label: p.label } : {}),
    latencyMs: p.latencyMs,
  };
}

export async function loadProfile(store: MonitoringStore, model: string, version: number): Promise<ReferenceProfile> {
  const profile = await store.getProfile(model, version);
  if (profile === null) throw new MonitorSkipped(`${model} v${version} has no monitoring reference profile; build it with \`pipeline monitor profile ${model}@${version}\``);
  assertProfile(profile, `monitoring profile of ${model} v${version}`);
  return profile;
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : 'n/a');

export async function monitorPass(stores: { predictions: PredictionLog; monitoring: MonitoringStore }, o: MonitorPassOptions): Promise<MonitorPass> {
  const cfg = resolveMonitorConfig(o.config ?? {});
  const newest = await stores.predictions.recent(1, { modelName: o.model });
  if (newest.length === 0 && o.version === undefined) throw new MonitorSkipped(`no predictions of model '${o.model}' in the log yet`);
  const version = o.version ?? newest[0]!.modelVersion;
  const profile = await loadProfile(stores.monitoring, o.model, version);
  const limit = o.window?.requests ?? 200;
  const rows = await stores.predictions.recent(limit, { modelName: o.model, modelVersion: version, ...(o.window?.sinceTs !== undefined ? { sinceTs: o.window.sinceTs } : {}) });
  const usable = rows.flatMap((r) => {
    const w = toWindowRecord(r);
    return w ? [{ w, ts: r.ts }] : [];
  });
  const min = o.minWindow ?? 30;
  if (usable.length < min) throw new MonitorSkipped(`${o.model} v${version}: ${usable.length} usable predictions in the window (of ${rows.length} read); need at least ${min}`);
  const window = usable.map((u) => u.w).reverse();
  const windowStart = Math.min(...usable.map((u) => u.ts));
  const windowEnd = Math.max(...usable.map((u) => u.ts));
  const evaluation = o.evaluate ? await o.evaluate(profile, window, o.config ?? {}) : evaluateWindow(profile, window, o.config ?? {});
  const results: StoredDetectorResult[] = DETECTORS.map((d) => ({ detector: d, ...evaluation.detectors[d] }));
  const command = o.retrainCommand ?? 'npx pipeline run pipelines/food101.yaml';
  const cause = evaluation.causes.join('; ');
  const step: AlertStepper = (detector, state, r) => {
    const next = stepAlert(state, r.verdict === 'drift', cfg.hysteresis);
    if (!next.event) return { state: next.state };
    const what = DETECTOR_WORDS[detector as DetectorName] ?? detector;
    const message = next.event === 'fire'
      ? `${what}: ${r.method} score ${fmt(r.score)} vs threshold ${fmt(r.threshold)} over ${window.length} predictions${cause ? `; likely cause: ${cause}` : ''}`
      : `${what}: back to normal (score ${fmt(r.score)} vs threshold ${fmt(r.threshold)}, ${cfg.hysteresis.clearAfter} clean window(s))`;
    return {
      state: next.state,
      alert: {
        event: next.event,
        message,
        command,
        payload: {
          window: { start: new Date(windowStart).toISOString(), end: new Date(windowEnd).toISOString(), n: window.length },
          score: Number.isFinite(r.score) ? r.score : null,
          threshold: Number.isFinite(r.threshold) ? r.threshold : null,
          method: r.method,
          causes: evaluation.causes,
          drifted: DETECTORS.filter((d) => evaluation.detectors[d].verdict === 'drift'),
          what_to_do: next.event === 'fire'
            ? `look at the report (pipeline monitor --report) and the recent uploads; if the inputs really changed, label examples and retrain: ${command}; then roll the new version out (pipeline registry promote)`
            : 'nothing: the detector is back within its threshold',
        },
      },
    };
  };
  const alerts = await stores.monitoring.recordWindow({ modelName: o.model, modelVersion: version, windowStart, windowEnd, n: window.length, results }, step);
  if (alerts.length && o.sinks?.length) await deliver(alerts, o.sinks, o.log);
  return { model: o.model, version, windowStart, windowEnd, evaluation, alerts, window, profile };
}
