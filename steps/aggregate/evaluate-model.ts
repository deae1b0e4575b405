/**
 * Evaluation of a trained model on the held-out test split: logits from the saved tfjs model (inference only,
 * on the main thread), then accuracy, macro-F1, per-class precision/recall, one-vs-rest ROC AUC, confusion matrix.
 * The logits come back too: calibration measures its error on them.
 */
import type { Tf } from '../../ml/backends/select-backend.ts';
import { evaluate, type ClassificationReport } from '../../ml/metrics/classification.ts';
import { loadTrained, predictLogits } from '../../ml/training/model-io.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import type { TrainingData } from '../train/datasets.ts';

export type TestEvaluation = { report: ClassificationReport; logits: Float32Array; y: Int32Array };

export async function evaluateOnTest(tf: Tf, modelDir: string, entry: ArchitectureEntry, data: TrainingData): Promise<TestEvaluation> {
  const test = await data.inputs(entry, 'test.csv', false);
  const { model } = await loadTrained(modelDir, tf);
  try {
    const logits = predictLogits(tf, model, test.x, test.n);
    const y = Int32Array.from(test.y.subarray(0, test.n));
    return { report: evaluate({ logits, y, classes: [...data.split.classes] }), logits, y };
  } finally {
    model.dispose();
  }
}
