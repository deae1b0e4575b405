/**
 * The energy score on logits (Liu et al. 2020), the alternative out-of-scope score for when a window carries the
 * head's logits rather than embeddings: E(x) = -T log sum exp(logit / T). In-scope photos have low (very
 * negative) energy; the score here is E itself, so larger means more out of scope, like the Mahalanobis score,
 * and `conformalQuantile` from out-of-scope.ts calibrates it the same way.
 */

/** Energy of one logit vector at temperature `temperature` (default 1), computed without overflow. */
export function energyScore(logits: ArrayLike<number>, temperature = 1): number {
  if (logits.length === 0) throw new Error('energyScore: empty logit vector');
  if (!(temperature > 0)) throw new Error(`energyScore: temperature must be positive, got ${temperature}`);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i]! / temperature - max);
  return -temperature * (max + Math.log(s));
}
