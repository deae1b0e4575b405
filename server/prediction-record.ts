/**
 * The monitoring half of a prediction record (issue 12): input statistics of the decoded photo, the summary of
 * the model's output, and the compact projection of its penultimate features. The predictor calls
 * `observeInput` while the model runs and `monitoringFields` when it logs; nothing here reaches `/predict`'s answer.
 */
import { computeImageStats, NUMERIC_IMAGE_STATS, type ImageStats } from '../ml/monitoring/image-stats.ts';
import { project, type PcaProjection } from '../ml/monitoring/pca.ts';
import { summarisePrediction } from '../ml/monitoring/prediction-summary.ts';
import { imageStats, type RawImage } from '../ml/preprocess/index.ts';
import type { InputStats, PredictionRecord } from '../stores/prediction-log.ts';

/** Where the predictor finds the projection of the model version it served (null: none, log no embedding). */
export type ProjectionLookup = (modelName: string, version: number) => PcaProjection | null;

/** What was measured on the photo: every monitoring statistic, or (monitoring off) the four historical ones. */
export type ObservedInput = { readonly full: ImageStats } | { readonly minimal: InputStats; readonly format: string; readonly byteSize: number };

/**
 * Per-photo input statistics from the decode the service already did: all of them (one pass, ~0.5 ms at 256 px)
 * when `full` (monitoring on), else brightness and contrast on every second pixel, as before monitoring.
 */
export function observeInput(raw: RawImage, header: { readonly format: string; readonly width: number; readonly height: number }, byteSize: number, full = true): ObservedInput {
  if (full) return { full: computeImageStats(raw, { format: header.format, byteSize, width: header.width, height: header.height }) };
  const s = imageStats(raw, 2);
  return { minimal: { meanBrightness: s.meanBrightness, contrast: s.contrast, width: header.width, height: header.height }, format: header.format, byteSize };
}

/** Softmax of one logits row (the full distribution: entropy and margin need every class). */
function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += p[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < p.length; i++) p[i]! /= sum;
  return p;
}

const r5 = (v: number) => Math.round(v * 1e5) / 1e5;

/**
 * The record's monitoring fields. `inputStats` keeps the four historical keys (meanBrightness, contrast, width,
 * height) beside every ImageStats number and the output summary (top1Prob, margin, entropy).
 */
export function monitoringFields(
  observed: ObservedInput,
  logits: ArrayLike<number>,
  features: ArrayLike<number> | undefined,
  projection: PcaProjection | null,
): Pick<PredictionRecord, 'inputStats' | 'imageFormat' | 'imageBytes' | 'embedding'> {
  if (!('full' in observed)) return { inputStats: observed.minimal, imageFormat: observed.format, imageBytes: observed.byteSize, embedding: null };
  const stats = observed.full;
  const summary = summarisePrediction(softmax(logits));
  const numeric: Record<string, number> = {};
  for (const s of NUMERIC_IMAGE_STATS) numeric[s] = r5(stats[s]);
  const inputStats: InputStats = {
    ...numeric,
    meanBrightness: r5(stats.brightness),
    contrast: r5(stats.contrast),
    width: stats.width,
    height: stats.height,
    top1Prob: r5(summary.top1Probability),
    margin: r5(summary.margin),
    entropy: r5(summary.entropy),
  };
  const embedding = features && projection && features.length === projection.inputDim ? Array.from(project(projection, features)) : null;
  return { inputStats, imageFormat: stats.format, imageBytes: stats.byteSize, embedding };
}
