/** The per-prediction numbers the log keeps about the model's output (issue 12's "richer prediction records"). */

/** Top-1 class, its probability, the margin to the runner-up and the entropy of the distribution. */
export interface PredictionSummary {
  readonly top1: number;
  readonly top1Probability: number;
  /** Top-1 minus top-2 probability (1 for a single class). */
  readonly margin: number;
  /** Shannon entropy in nats; 0 = certain, ln(K) = uniform over K classes. */
  readonly entropy: number;
}

/** Summarises one probability vector (softmax output). */
export function summarisePrediction(probabilities: ArrayLike<number>): PredictionSummary {
  const k = probabilities.length;
  if (k === 0) throw new Error('summarisePrediction: empty probability vector');
  let top1 = 0, second = -1, entropy = 0;
  for (let i = 0; i < k; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1 + 1e-6)) throw new Error(`summarisePrediction: probability ${p} at index ${i} is not in [0, 1]; pass softmax outputs, not logits`);
    if (p > 0) entropy -= p * Math.log(p);
    if (i === 0) continue;
    if (p > probabilities[top1]!) second = top1, top1 = i;
    else if (second < 0 || p > probabilities[second]!) second = i;
  }
  const p1 = probabilities[top1]!;
  return { top1, top1Probability: p1, margin: second < 0 ? 1 : p1 - probabilities[second]!, entropy };
}
