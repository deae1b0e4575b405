/**
 * Thresholds of every detector, with defaults from Evidently (drift tests, dataset drift share 0.5) and NannyML
 * (CBPE alert band of 3 standard deviations, 10 calibration bins). The pipeline file will map onto this object;
 * every key is optional and `resolveMonitorConfig` fills the rest.
 */
import { NUMERIC_IMAGE_STATS, type NumericImageStat } from './image-stats.ts';
import type { LatencySlo } from './latency.ts';
import type { NumericDriftOptions } from './stats/numeric-drift.ts';

/** Fully resolved detector configuration. */
export interface MonitorConfig {
  readonly inputDrift: {
    /** Per-statistic test ('auto' = Evidently's choice by reference size) and its threshold. */
    readonly test: NumericDriftOptions;
    /** Statistics tested. Default: the pixel statistics (upload size and dimensions are reported, not counted). */
    readonly stats: readonly NumericImageStat[];
    /** Input drift when at least this share of the statistics drifted (Evidently's drift_share, 0.5). */
    readonly driftShare: number;
  };
  /**
   * Predicted-class mix. 'auto': the two-sample chi-squared test (p < 0.05) while the reference has <= 1000
   * predictions, Jensen-Shannon (>= 0.1) above, as Evidently but with the two-sample form of chi-squared (see
   * stats/categorical.ts); 'chisquare' is Evidently's goodness-of-fit form.
   */
  readonly predictionDrift: { readonly method: 'auto' | 'chisquare' | 'chi2_contingency' | 'jensenshannon'; readonly threshold?: number };
  readonly confidenceDrift: NumericDriftOptions;
  /** MMD test; windows larger than `maxWindow` are subsampled (seeded) to bound its O(N^2) cost. */
  readonly embeddingDrift: { readonly alpha: number; readonly permutations: number; readonly seed: number; readonly maxWindow: number };
  /**
   * Window flagged when its out-of-scope share exceeds `maxShare` and the binomial test against the calibrated
   * false-positive rate gives p < alpha. `maxShare` defaults to that calibrated rate (5%): near-OOD photos (other
   * dishes) score only a little above in-scope ones with a generic backbone, so a fixed 20% floor would never
   * be reached by them (measured in tests/ml/monitoring/real-photos.test.ts and ml/monitoring/README.md).
   */
  readonly outOfScope: { readonly maxShare?: number; readonly alpha: number };
  /** CBPE alert: estimate below reference accuracy minus 3 sd of a window of this size, or minus maxDrop. */
  readonly estimatedAccuracy: { readonly maxDrop?: number };
  /** Feedback alert: the Wilson interval's upper end below reference accuracy minus `tolerance`. */
  readonly feedbackAccuracy: { readonly minSamples: number; readonly tolerance: number; readonly confidence: number };
  /** Latency SLO in milliseconds (no bound set = the detector reports percentiles with verdict 'insufficient'). */
  readonly latency: LatencySlo;
  /** Alerts fire after `fireAfter` consecutive drifted windows and clear after `clearAfter` clean ones. */
  readonly hysteresis: { readonly fireAfter: number; readonly clearAfter: number };
}

/** Partial configuration as a user writes it. */
export type MonitorConfigInput = { readonly [K in keyof MonitorConfig]?: Partial<MonitorConfig[K]> };

/** The pixel statistics counted by default for input drift. */
export const DEFAULT_INPUT_STATS: readonly NumericImageStat[] = NUMERIC_IMAGE_STATS.filter((s) => s !== 'byteSize' && s !== 'width' && s !== 'height');

/** The defaults, frozen. */
export const DEFAULT_MONITOR_CONFIG: MonitorConfig = Object.freeze({
  inputDrift: { test: { method: 'auto' }, stats: DEFAULT_INPUT_STATS, driftShare: 0.5 },
  predictionDrift: { method: 'auto' },
  confidenceDrift: { method: 'auto' },
  embeddingDrift: { alpha: 0.05, permutations: 500, seed: 1, maxWindow: 300 },
  outOfScope: { alpha: 0.01 },
  estimatedAccuracy: {},
  feedbackAccuracy: { minSamples: 30, tolerance: 0.05, confidence: 0.95 },
  latency: {},
  hysteresis: { fireAfter: 2, clearAfter: 3 },
} satisfies MonitorConfig);

/** Fills defaults and rejects values that cannot work, naming the key. */
export function resolveMonitorConfig(input: MonitorConfigInput = {}): MonitorConfig {
  const d = DEFAULT_MONITOR_CONFIG;
  const cfg: MonitorConfig = {
    inputDrift: { ...d.inputDrift, ...input.inputDrift },
    predictionDrift: { ...d.predictionDrift, ...input.predictionDrift },
    confidenceDrift: { ...d.confidenceDrift, ...input.confidenceDrift },
    embeddingDrift: { ...d.embeddingDrift, ...input.embeddingDrift },
    outOfScope: { ...d.outOfScope, ...input.outOfScope },
    estimatedAccuracy: { ...d.estimatedAccuracy, ...input.estimatedAccuracy },
    feedbackAccuracy: { ...d.feedbackAccuracy, ...input.feedbackAccuracy },
    latency: { ...d.latency, ...input.latency },
    hysteresis: { ...d.hysteresis, ...input.hysteresis },
  };
  const bad = (key: string, value: unknown, want: string) => new Error(`monitoring config: ${key} = ${JSON.stringify(value)}; expected ${want}`);
  const unit = (key: string, v: number) => {
    if (!(v > 0 && v < 1)) throw bad(key, v, 'a number between 0 and 1 (exclusive)');
  };
  unit('inputDrift.driftShare', cfg.inputDrift.driftShare);
  unit('embeddingDrift.alpha', cfg.embeddingDrift.alpha);
  if (cfg.outOfScope.maxShare !== undefined) unit('outOfScope.maxShare', cfg.outOfScope.maxShare);
  unit('outOfScope.alpha', cfg.outOfScope.alpha);
  unit('feedbackAccuracy.confidence', cfg.feedbackAccuracy.confidence);
  if (cfg.inputDrift.stats.length === 0) throw bad('inputDrift.stats', [], 'at least one statistic');
  for (const s of cfg.inputDrift.stats) if (!NUMERIC_IMAGE_STATS.includes(s)) throw bad('inputDrift.stats', s, `one of ${NUMERIC_IMAGE_STATS.join(', ')}`);
  for (const [k, v] of Object.entries(cfg.latency)) if (v !== undefined && !(v > 0)) throw bad(`latency.${k}`, v, 'a positive number of milliseconds');
  for (const k of ['fireAfter', 'clearAfter'] as const) {
    const v = cfg.hysteresis[k];
    if (!Number.isInteger(v) || v < 1) throw bad(`hysteresis.${k}`, v, 'an integer >= 1');
  }
  if (!Number.isInteger(cfg.embeddingDrift.maxWindow) || cfg.embeddingDrift.maxWindow < 2) throw bad('embeddingDrift.maxWindow', cfg.embeddingDrift.maxWindow, 'an integer >= 2');
  if (!Number.isInteger(cfg.embeddingDrift.permutations) || cfg.embeddingDrift.permutations < 19) throw bad('embeddingDrift.permutations', cfg.embeddingDrift.permutations, 'an integer >= 19');
  return cfg;
}
