/**
 * Label-free accuracy: confidence-based performance estimation (NannyML's CBPE). If top-1 probabilities are
 * calibrated, the expected accuracy of a window is the mean of its top-1 probabilities. As NannyML does, the
 * reference decides whether the raw probabilities need calibrating: an isotonic map (confidence -> P(correct))
 * is kept only if it lowers the expected calibration error in cross-validation on the reference.
 */
import { expectedCalibrationError, reliabilityBins, type ReliabilityBin } from './calibration.ts';
import { fitIsotonic, predictIsotonic, type IsotonicFit } from './isotonic.ts';

/** What the reference says about the model's confidences. JSON-serialisable. */
export interface ConfidenceCalibration {
  /** Isotonic map applied before averaging, or null when the raw confidences are calibrated enough. */
  readonly calibrator: IsotonicFit | null;
  /** Cross-validated ECE of the raw and of the isotonic-calibrated confidences on the reference. */
  readonly eceRaw: number;
  readonly eceCalibrated: number;
  /** Reliability bins of the raw confidences on the reference (for the report). */
  readonly bins: ReliabilityBin[];
  /** Realised top-1 accuracy on the reference. */
  readonly referenceAccuracy: number;
  readonly referenceSize: number;
}

/** Checks calibration on labelled reference predictions and fits the isotonic map (5-fold cross-validation). */
export function fitConfidenceCalibration(confidence: readonly number[], correct: readonly boolean[], folds = 5): ConfidenceCalibration {
  const n = confidence.length;
  if (n !== correct.length || n < folds * 2) throw new Error(`fitConfidenceCalibration: need matching confidences and outcomes, at least ${folds * 2} (got ${n} and ${correct.length})`);
  const y = correct.map((c) => (c ? 1 : 0));
  const raw: number[] = [], cal: number[] = [], outcome: boolean[] = [];
  for (let f = 0; f < folds; f++) {
    const fitIdx = [...Array(n).keys()].filter((i) => i % folds !== f);
    const iso = fitIsotonic(fitIdx.map((i) => confidence[i]!), fitIdx.map((i) => y[i]!));
    for (let i = f; i < n; i += folds) {
      raw.push(confidence[i]!);
      cal.push(predictIsotonic(iso, confidence[i]!));
      outcome.push(correct[i]!);
    }
  }
  const eceRaw = expectedCalibrationError(raw, outcome);
  const eceCalibrated = expectedCalibrationError(cal, outcome);
  return {
    calibrator: eceCalibrated < eceRaw ? fitIsotonic([...confidence], y) : null,
    eceRaw,
    eceCalibrated,
    bins: reliabilityBins(confidence, correct),
    referenceAccuracy: y.reduce((s: number, v) => s + v, 0) / n,
    referenceSize: n,
  };
}

/** A label-free accuracy estimate for a window. */
export interface AccuracyEstimate {
  readonly estimate: number;
  /** Standard deviation of the realised accuracy if the calibrated probabilities are right (Poisson-binomial). */
  readonly std: number;
  readonly n: number;
}

/** Expected accuracy of a window from its top-1 probabilities. */
export function estimateAccuracy(cal: ConfidenceCalibration, confidence: readonly number[]): AccuracyEstimate {
  const n = confidence.length;
  if (n === 0) throw new Error('estimateAccuracy: the window is empty');
  let s = 0, v = 0;
  for (const c of confidence) {
    const p = cal.calibrator ? predictIsotonic(cal.calibrator, c) : c;
    s += p;
    v += p * (1 - p);
  }
  return { estimate: s / n, std: Math.sqrt(v) / n, n };
}

/**
 * NannyML's default alert band, translated to one window: the reference accuracy minus three standard deviations
 * of a window accuracy of this size (sqrt(a (1 - a) / n)), or minus `maxDrop` when configured.
 */
export function accuracyThreshold(cal: ConfidenceCalibration, n: number, maxDrop?: number): number {
  const a = cal.referenceAccuracy;
  return maxDrop !== undefined ? a - maxDrop : a - 3 * Math.sqrt((a * (1 - a)) / n);
}
