/**
 * The baseline rule: a model that does not beat the linear probe on cross-validation has not earned its extra
 * capacity, so the probe wins. The comparison is on CV only (never on test), whatever metric picked the winner.
 */
import { metricValue, parseMetric, type Evaluated } from './pick-winner.ts';

export type BaselineVerdict = {
  /** The baseline architecture (e.g. `probe`). */
  architecture: string;
  /** The CV metric compared, e.g. `cv.accuracy`. */
  metric: string;
  /** The winner's and the baseline's CV values, and winner - baseline (negated for losses: > 0 means better). */
  winnerValue: number;
  baselineValue: number;
  margin: number;
  /** True when the pick did not beat the baseline on CV (ties included) and the baseline took its place. */
  baselineWon: boolean;
};

/**
 * The CV metric a winner is held to: `winnerBy` itself when it is a cv metric, the cv metric of the same key when
 * the candidates have one (`test.macro_f1` -> `cv.macro_f1`), else `cv.accuracy`.
 */
export function baselineMetric(winnerBy: string, evaluations: readonly Evaluated[]): string {
  const parsed = parseMetric(winnerBy);
  if (parsed?.scope === 'cv') return winnerBy;
  const key = parsed?.key ?? winnerBy;
  return evaluations.every((e) => metricValue(e, 'cv', key) !== null) ? `cv.${key}` : 'cv.accuracy';
}

/**
 * Applies the rule to `picked`. Returns the final winner (the baseline when the pick does not beat it) and the
 * verdict; `verdict` is undefined when no baseline is configured. When the pick is the baseline, the margin is 0.
 *
 * @throws Error when `baseline` names no evaluation, or when the winner or the baseline has no finite CV value.
 */
export function applyBaselineRule<E extends Evaluated>(
  picked: E,
  evaluations: readonly E[],
  baseline: string | null | undefined,
  winnerBy: string,
): { winner: E; verdict?: BaselineVerdict } {
  if (!baseline) return { winner: picked };
  const base = evaluations.find((e) => e.architecture === baseline);
  if (!base) {
    throw new Error(`baseline '${baseline}' is not among the evaluated architectures (${evaluations.map((e) => e.architecture).join(', ')}): ` +
      'add it to the grid, or set aggregate.baseline to one of them (null: no baseline)');
  }
  const metric = baselineMetric(winnerBy, evaluations);
  const { key } = parseMetric(metric)!;
  const w = metricValue(picked, 'cv', key);
  const b = metricValue(base, 'cv', key);
  if (w === null || b === null) throw new Error(`baseline rule: ${w === null ? picked.architecture : baseline} has no finite ${metric}`);
  const margin = key.endsWith('loss') ? b - w : w - b;
  const baselineWon = picked !== base && !(margin > 0);
  return {
    winner: baselineWon ? base : picked,
    verdict: { architecture: baseline, metric, winnerValue: w, baselineValue: b, margin: picked === base ? 0 : margin, baselineWon },
  };
}
