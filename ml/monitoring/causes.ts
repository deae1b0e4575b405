/**
 * The likely cause of a drifted window, in words a person can act on. Rules look at how the window's
 * statistics moved relative to the reference, not only at which tests fired, so "darker" and "inverted" are
 * told apart even though both move the channel means.
 */
import type { NumericImageStat } from './image-stats.ts';

/** Means of the window and reference per statistic, plus which input statistics drifted. */
export interface CauseEvidence {
  readonly reference: Readonly<Record<NumericImageStat, number>>;
  readonly window: Readonly<Record<NumericImageStat, number>>;
  readonly driftedStats: ReadonlySet<NumericImageStat>;
  readonly inputDrift: boolean;
  readonly embeddingDrift: boolean;
  readonly outOfScope: { readonly drifted: boolean; readonly share: number; readonly expected: number };
  readonly predictionDrift: boolean;
  readonly accuracy?: { readonly drifted: boolean; readonly reference: number; readonly estimate: number };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Which of "scaled" (m = k r, a uniform darkening or brightening) and "inverted" (m = 1 - r) explains the
 * window's channel means better: least-squares residual of each model over R, G, B.
 */
export function channelModel(ref: readonly number[], win: readonly number[]): { model: 'scaled' | 'inverted'; factor: number } {
  let rr = 0, rm = 0;
  for (let c = 0; c < 3; c++) rr += ref[c]! * ref[c]!, rm += ref[c]! * win[c]!;
  const k = rr > 0 ? rm / rr : 1;
  let resScaled = 0, resInv = 0;
  for (let c = 0; c < 3; c++) {
    resScaled += (win[c]! - k * ref[c]!) ** 2;
    resInv += (win[c]! - (1 - ref[c]!)) ** 2;
  }
  return { model: resInv < resScaled ? 'inverted' : 'scaled', factor: k };
}

/** Sentences naming the likely causes, most specific first; empty when nothing drifted. */
export function describeCauses(e: CauseEvidence): string[] {
  const out: string[] = [];
  const ratio = (s: NumericImageStat) => (e.reference[s] !== 0 ? e.window[s] / e.reference[s] : 1);
  const channelsMoved = (['meanR', 'meanG', 'meanB', 'brightness'] as const).some((s) => e.driftedStats.has(s));
  if (e.inputDrift || channelsMoved) {
    const ch = channelModel([e.reference.meanR, e.reference.meanG, e.reference.meanB], [e.window.meanR, e.window.meanG, e.window.meanB]);
    const b = ratio('brightness');
    if (channelsMoved && ch.model === 'inverted') out.push('colours inverted (negative): each channel mean is close to 1 minus the reference mean');
    else if (e.driftedStats.has('brightness') && b < 0.75) out.push(`inputs much darker than the reference (brightness x${b.toFixed(2)})`);
    else if (e.driftedStats.has('brightness') && b > 1.33) out.push(`inputs much brighter than the reference (brightness x${b.toFixed(2)})`);
    else if (e.driftedStats.has('saturation') && ratio('saturation') < 0.6) out.push(`colours washed out or greyscale (saturation x${ratio('saturation').toFixed(2)})`);
    if (e.driftedStats.has('sharpness') && ratio('sharpness') < 0.5 && b >= 0.75 && b <= 1.33) out.push(`inputs blurred (sharpness x${ratio('sharpness').toFixed(2)})`);
    if (e.driftedStats.has('contrast') && ratio('contrast') < 0.6 && b >= 0.75 && b <= 1.33) out.push(`low contrast (contrast x${ratio('contrast').toFixed(2)})`);
    if (out.length === 0 && e.inputDrift) out.push(`image statistics changed: ${[...e.driftedStats].join(', ')}`);
  }
  if (e.outOfScope.drifted) out.push(`many photos outside the known classes (${pct(e.outOfScope.share)} out of scope, ${pct(e.outOfScope.expected)} expected)`);
  if (e.embeddingDrift && out.length === 0) out.push('photo content differs from the reference (embedding drift) with ordinary image statistics');
  if (e.predictionDrift && out.length === 0) out.push('the mix of predicted classes changed');
  if (e.accuracy?.drifted) out.push(`estimated accuracy fell from ${pct(e.accuracy.reference)} to ${pct(e.accuracy.estimate)}`);
  return out;
}
