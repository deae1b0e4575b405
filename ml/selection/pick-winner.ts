/**
 * The overall winner among the per-architecture picks, by a metric named in the pipeline: a cross-validated one
 * (`cv.accuracy`, the fold-averaged validation score: honest) or a test one (`test.macro_f1`, the original
 * project's choice: a selection on the test split, whose reported score is then optimistic).
 */
import { closest, distance } from 'fastest-levenshtein';
import { compareNames } from './stats.ts';

type Scores = Readonly<Record<string, number | null | undefined>>;

/** What `pickWinner` needs of an evaluation; the caller's richer type comes back unchanged as `winner`. */
export type Evaluated = {
  architecture: string;
  runId: string;
  /** Fold-averaged validation metrics without the `cv.` prefix. */
  cv?: Scores;
  /** Test metrics without the `test.` prefix; `null` means undefined for this model (e.g. no AUC). */
  test?: Scores;
};

export type WinnerPick<E extends Evaluated> = {
  winner: E;
  /** The metric name as given, e.g. `cv.accuracy`, its scope and its key inside that scope. */
  metric: string;
  scope: MetricScope;
  key: string;
  higherIsBetter: boolean;
  value: number;
  /** Every evaluation, best first; those without a finite value last, with `value: null`. */
  ranking: { architecture: string; runId: string; value: number | null }[];
};

export const METRIC_SCOPES = ['cv', 'test'] as const;
export type MetricScope = (typeof METRIC_SCOPES)[number];

/** Splits `cv.macro_f1` into its scope and key; `undefined` when the name has no known scope. */
export function parseMetric(metric: string): { scope: MetricScope; key: string } | undefined {
  const dot = metric.indexOf('.');
  const scope = metric.slice(0, dot) as MetricScope;
  return dot > 0 && METRIC_SCOPES.includes(scope) ? { scope, key: metric.slice(dot + 1) } : undefined;
}

/** A finite value of `e[scope][key]`, else null. Reads only the named scope: a cv pick never touches `test`. */
export function metricValue(e: Evaluated, scope: MetricScope, key: string): number | null {
  const v = e[scope]?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Picks the best evaluation by `metric` (`cv.<key>` or `test.<key>`, addressing `e.cv[key]` or `e.test[key]`).
 * Only that scope is read. Metrics whose name ends in `loss` are lower-is-better unless `higherIsBetter` says
 * otherwise; all others higher-is-better. Equal values go to the architecture name in natural order, then the run
 * id, so the choice is deterministic.
 *
 * @throws Error when `evaluations` is empty, when `metric` is not a metric of any evaluation (the message lists
 *   the available ones of its scope), or when no evaluation has a finite value for it.
 */
export function pickWinner<E extends Evaluated>(
  evaluations: readonly E[],
  metric: string,
  higherIsBetter?: boolean,
): WinnerPick<E> {
  if (evaluations.length === 0) throw new Error('pickWinner: no evaluations to choose from');
  const parsed = parseMetric(metric);
  const scope = parsed?.scope ?? 'test';
  const available = [...new Set(evaluations.flatMap((e) =>
    Object.entries(e[scope] ?? {}).filter(([, v]) => typeof v === 'number' || v === null).map(([k]) => `${scope}.${k}`)))].sort();
  if (!parsed || !available.includes(metric)) {
    const guess = parsed ? metric : `${scope}.${metric}`;
    const near = available.length > 0 ? closest(guess, available) : undefined;
    const hint = near !== undefined && distance(guess, near) <= Math.max(2, guess.length / 3) ? ` (did you mean "${near}"?)` : '';
    throw new Error(`pickWinner: unknown metric "${metric}"${hint}; available: ${available.join(', ')}`);
  }
  const { key } = parsed;
  const higher = higherIsBetter ?? !key.endsWith('loss');
  const valueOf = (e: E): number | null => metricValue(e, scope, key);
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
    winner, metric, scope, key, higherIsBetter: higher, value,
    ranking: sorted.map((e) => ({ architecture: e.architecture, runId: e.runId, value: valueOf(e) })),
  };
}
