/**
 * Evaluation of a trained model on a manifest of the split (the test split, or a fold's validation part): logits
 * from the saved tfjs model (inference only, on the main thread), then accuracy, macro-F1, per-class
 * precision/recall, one-vs-rest ROC AUC, confusion matrix. The logits come back too: calibration needs them.
 */
import type { Tf } from '../../ml/backends/select-backend.ts';
import { evaluate, type ClassificationReport } from '../../ml/metrics/classification.ts';
import { loadTrained, predictLogits } from '../../ml/training/model-io.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import type { TrainingData } from '../train/datasets.ts';

export type Predictions = { logits: Float32Array; y: Int32Array };
export type TestEvaluation = Predictions & { report: ClassificationReport };

/** The model's logits on `manifest` (evaluation inputs: one row per photo, the mean of its test-time views). */
export async function predictManifest(tf: Tf, modelDir: string, entry: ArchitectureEntry, data: TrainingData, manifest: string): Promise<Predictions> {
  const set = await data.inputs(entry, manifest, false);
  const { model } = await loadTrained(modelDir, tf);
  try {
    return { logits: predictLogits(tf, model, set.x, set.n), y: Int32Array.from(set.y.subarray(0, set.n)) };
  } finally {
    model.dispose();
  }
}

export async function evaluateOnTest(tf: Tf, modelDir: string, entry: ArchitectureEntry, data: TrainingData): Promise<TestEvaluation> {
  const p = await predictManifest(tf, modelDir, entry, data, 'test.csv');
  return { ...p, report: evaluate({ logits: p.logits, y: p.y, classes: [...data.split.classes] }) };
}
