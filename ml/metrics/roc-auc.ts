/**
 * Binary ROC AUC by the rank statistic (Mann-Whitney U): the probability that a random positive scores above a
 * random negative, a tie counting 1/2. Equal to scikit-learn's `roc_auc_score` (the trapezoidal area under the
 * ROC curve) for the same scores, ties included.
 */

/**
 * @param scores one score per sample, higher meaning "more positive".
 * @param positive whether each sample is a positive (same length as `scores`).
 * @returns the AUC in [0, 1], or `null` when there are no positives or no negatives (AUC is undefined).
 */
export function binaryRocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number | null {
  const n = scores.length;
  if (positive.length !== n) throw new RangeError(`roc auc: ${n} scores for ${positive.length} labels`);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  // Sum of the (1-based, tie-averaged) ranks of the positives.
  let rankSumPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    const averageRank = (start + 1 + end) / 2; // ranks start+1 .. end share their mean
    for (let j = start; j < end; j++) if (positive[order[j]!]) rankSumPos += averageRank;
    start = end;
  }
  const u = rankSumPos - (nPos * (nPos + 1)) / 2;
  return u / (nPos * nNeg);
}
