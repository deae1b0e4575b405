/** Calibration of top-1 confidences: reliability bins and expected calibration error (ECE). */

/** One reliability bin: photos whose confidence fell in [lo, hi). */
export interface ReliabilityBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  /** Mean confidence of the photos in the bin (NaN when empty). */
  readonly meanConfidence: number;
  /** Share of them predicted correctly (NaN when empty). */
  readonly accuracy: number;
}

/** Equal-width bins over [0, 1] (default 10, NannyML's bin_count); the last bin includes 1. */
export function reliabilityBins(confidence: readonly number[], correct: readonly boolean[], bins = 10): ReliabilityBin[] {
  if (confidence.length !== correct.length) throw new Error(`reliabilityBins: ${confidence.length} confidences but ${correct.length} outcomes`);
  const n = new Float64Array(bins), sc = new Float64Array(bins), sa = new Float64Array(bins);
  confidence.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new Error(`reliabilityBins: confidence ${p} at index ${i} is not in [0, 1]`);
    const b = Math.min(bins - 1, Math.floor(p * bins));
    n[b]! += 1;
    sc[b]! += p;
    sa[b]! += correct[i] ? 1 : 0;
  });
  return Array.from({ length: bins }, (_, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: n[b]!, meanConfidence: sc[b]! / n[b]!, accuracy: sa[b]! / n[b]! }));
}

/** ECE = sum over bins of (count / N) |accuracy - mean confidence|. */
export function expectedCalibrationError(confidence: readonly number[], correct: readonly boolean[], bins = 10): number {
  const total = confidence.length;
  if (total === 0) throw new Error('expectedCalibrationError: no predictions');
  return reliabilityBins(confidence, correct, bins).reduce((s, b) => (b.count ? s + (b.count / total) * Math.abs(b.accuracy - b.meanConfidence) : s), 0);
}
