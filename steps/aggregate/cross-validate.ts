/**
 * The validation predictions behind the `cv.*` metrics: each kept fold run of a candidate predicts its own fold's
 * validation part (the same rows its val_acc was measured on). The train stage records only per-epoch val
 * accuracy and loss; macro-F1 and the temperature fit need the predictions themselves, which are cheap to redo.
 */
import type { Tf } from '../../ml/backends/select-backend.ts';
import { cvMetrics, type CvMetrics, type FoldPredictions } from '../../ml/selection/cv-metrics.ts';
import type { Candidate } from '../../ml/selection/types.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import type { TrainingData } from '../train/datasets.ts';
import type { TrainedRun } from '../train/train-result.ts';
import { predictManifest } from './evaluate-model.ts';

export type CandidateCv = { metrics: CvMetrics; folds: FoldPredictions[] };

/** `<architecture>_<combination>`: the key of a candidate in the summary's `crossValidation`. */
export const candidateKey = (c: { architecture: string; combination: string }): string => `${c.architecture}_${c.combination}`;

async function foldPredictions(tf: Tf, run: TrainedRun, entry: ArchitectureEntry, data: TrainingData): Promise<FoldPredictions> {
  return { fold: run.fold, ...(await predictManifest(tf, run.modelDir, entry, data, `folds/fold${run.fold}/val.csv`)) };
}

/** CV metrics and out-of-fold predictions of every candidate, keyed by {@link candidateKey}. */
export async function crossValidate(
  tf: Tf,
  candidates: readonly Candidate[],
  runs: ReadonlyMap<string, TrainedRun>,
  architectures: Readonly<Record<string, ArchitectureEntry>>,
  data: TrainingData,
): Promise<Map<string, CandidateCv>> {
  const out = new Map<string, CandidateCv>();
  for (const c of candidates) {
    const folds: FoldPredictions[] = [];
    for (const id of c.runIds) folds.push(await foldPredictions(tf, runs.get(id)!, architectures[c.architecture]!, data));
    out.set(candidateKey(c), { metrics: cvMetrics(folds, data.split.classes), folds });
  }
  return out;
}

/** The out-of-fold logits and labels of a candidate, concatenated over its folds (for the temperature fit). */
export function outOfFold(cv: CandidateCv): { logits: Float32Array; y: Int32Array } {
  const n = cv.folds.reduce((s, f) => s + f.y.length, 0);
  const C = cv.folds[0] ? cv.folds[0].logits.length / Math.max(1, cv.folds[0].y.length) : 0;
  const logits = new Float32Array(n * C);
  const y = new Int32Array(n);
  let at = 0;
  for (const f of cv.folds) {
    logits.set(f.logits, at * C);
    y.set(f.y, at);
    at += f.y.length;
  }
  return { logits, y };
}
