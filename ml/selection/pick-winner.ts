/** The overall winner among the per-architecture picks, by a test metric named in the pipeline (`test.macro_f1`). */
import { closest, distance } from 'fastest-levenshtein';
import { compareNames } from './stats.ts';

/** What `pickWinner` needs of an evaluation; the caller's richer type comes back unchanged as `winner`. */
export type Evaluated = {
  architecture: string;
  runId: string;
  /** Test metrics without the `test.` prefix; `null` means undefined for this model (e.g. no AUC). */
  test: Readonly<Record<string, number | null | undefined>>;
};

export type WinnerPick<E extends Evaluated> = {
  winner: E;
  /** The metric name as given, e.g. `test.macro_f1`, and its key inside `test`. */
  metric: string;
  key: string;
  higherIsBetter: boolean;
  value: number;
  /** Every evaluation, best first; those without a finite value last, with `value: null`. */
  ranking: { architecture: string; runId: string; value: number | null }[];
};

const PREFIX = 'test.';

/**
 * Picks the best evaluation by `metric` (`test.<key>`, addressing `test[key]`). Metrics whose name ends in `loss`
 * are lower-is-better unless `higherIsBetter` says otherwise; all others higher-is-better. Equal values go to the
 * architecture name in natural order, then the run id, so the choice is deterministic.
 *
 * @throws Error when `evaluations` is empty, when `metric` is not a `test.` metric of any evaluation (the message
 *   lists the available ones), or when no evaluation has a finite value for it.
 */
export function pickWinner<E extends Evaluated>(
  evaluations: readonly E[],
  metric: string,
  higherIsBetter?: boolean,
): WinnerPick<E> {
  if (evaluations.length === 0) throw new Error('pickWinner: no evaluations to choose from');
  const available = [...new Set(evaluations.flatMap((e) =>
    Object.entries(e.test).filter(([, v]) => typeof v === 'number' || v === null).map(([k]) => PREFIX + k)))].sort();
  if (!available.includes(metric)) {
    const guess = metric.startsWith(PREFIX) ? metric : PREFIX + metric;
    const near = available.length > 0 ? closest(guess, available) : undefined;
    const hint = near !== undefined && distance(guess, near) <= Math.max(2, guess.length / 3) ? ` (did you mean "${near}"?)` : '';
    throw new Error(`pickWinner: unknown metric "${metric}"${hint}; available: ${available.join(', ')}`);
  }
  const key = metric.slice(PREFIX.length);
  const higher = higherIsBetter ?? !key.endsWith('loss');
  const valueOf = (e: E): number | null => {
    const v = e.test[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const sorted = [...evaluations].sort((a, b) => {
    const va = valueOf(a), vb = valueOf(b);
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else if (va !== vb) {
      return higher ? vb - va : va - vb;
    }
    return compareNames(a.architecture, b.architecture) || compareNames(a.runId, b.runId);
  });
  const winner = sorted[0]!;
  const value = valueOf(winner);
  if (value === null) throw new Error(`pickWinner: no evaluation has a finite value for "${metric}"`);
  return {
    winner, metric, key, higherIsBetter: higher, value,
    ranking: sorted.map((e) => ({ architecture: e.architecture, runId: e.runId, value: valueOf(e) })),
  };
}
