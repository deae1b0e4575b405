/**
 * Cross-validated metrics of one candidate: each fold's model scored on its own validation part, then averaged
 * over folds (mean ± sample std). These are the `cv.<key>` metrics a winner can be picked by.
 */
import { evaluate } from '../metrics/classification.ts';
import { meanStd } from './stats.ts';
import type { MeanStd } from './types.ts';

/** The metrics averaged over folds (keys that `cv.<key>` addresses). */
export const CV_KEYS = ['accuracy', 'macro_f1', 'log_loss'] as const;
export type CvKey = (typeof CV_KEYS)[number];
export type CvMetrics = Record<CvKey, MeanStd> & { folds: number };

/** One fold's validation predictions: n x C logits, row-major, and the true class of each row. */
export type FoldPredictions = { fold: number; logits: Float32Array; y: Int32Array };

/** Fold-averaged accuracy, macro-F1 and log loss. @throws RangeError on no folds or an empty fold. */
export function cvMetrics(folds: readonly FoldPredictions[], classes: readonly string[]): CvMetrics {
  if (folds.length === 0) throw new RangeError('cvMetrics: no folds');
  const reports = folds.map((f) => evaluate({ logits: f.logits, y: f.y, classes }));
  const stat = (k: CvKey) => meanStd(reports.map((r) => r[k]));
  return { accuracy: stat('accuracy'), macro_f1: stat('macro_f1'), log_loss: stat('log_loss'), folds: folds.length };
}

/** The fold means, flat: what `pickWinner` reads under `cv`. */
export type CvMeans = Record<CvKey, number>;
export function cvMeans(m: CvMetrics): CvMeans {
  return { accuracy: m.accuracy.mean, macro_f1: m.macro_f1.mean, log_loss: m.log_loss.mean };
}
