/**
 * Model selection over cross-validated runs, as the original project did it, with its bugs fixed: a loss-gap
 * filter that can no longer empty an architecture, min-max normalisation that no longer divides by zero, and
 * deterministic tie-breaks. Every intermediate (dropped runs, fold means and stds, normalised values, scores)
 * stays in the result so the report can show how the pick was made.
 */
import { compareNames, meanStd, minMaxNormalise } from './stats.ts';
import type {
  ArchitecturePick, BestRun, Candidate, DroppedRun, RelaxedArchitecture, RunRecord, Selection, SelectOptions,
} from './types.ts';

export type * from './types.ts';
export { pickWinner, type WinnerPick, type Evaluated } from './pick-winner.ts';

/** The original project's settings. */
export const DEFAULT_SELECT_OPTIONS: Readonly<SelectOptions> = Object.freeze({
  maxLossGap: 0.25,
  weights: Object.freeze({ accuracy: 0.7, loss: 0.3 }),
});

/** Scores closer than this are a tie (they differ only by float rounding). */
const SCORE_EPSILON = 1e-12;
/** A gap equal to the threshold up to float rounding (|0.2 - 0.45| = 0.25000000000000006) is not over it. */
const GAP_EPSILON = 1e-12;

/**
 * Selects the best hyperparameter combination of each architecture, then its best fold.
 *
 * 1. Runs with a non-finite final metric are dropped. Runs whose |train_loss - val_loss| exceeds
 *    `maxLossGap` are dropped, unless that would drop every run of their architecture: then the architecture's
 *    runs are all kept, flagged `gapFilterRelaxed` and listed in `relaxed`, so it still competes and the report
 *    says why (an overfitting architecture is shown as such rather than silently vanishing).
 * 2. Each (architecture, combination) is averaged over its kept folds: mean and sample std (n - 1; 0 for one fold).
 * 3. score = w.accuracy * norm(mean val_acc) + w.loss * (1 - norm(mean val_loss)), min-max normalised over all
 *    candidates of all architectures. When every candidate has the same value of a metric, that metric carries
 *    no information and prefers no one: every candidate is put at the best end (norm val_acc = 1,
 *    norm val_loss = 0), so a lone candidate, or one best on both metrics, scores w.accuracy + w.loss.
 * 4. Per architecture the highest score wins; ties go to the lower mean val_loss, then to the combination name in
 *    natural order (c2 before c10). Inside it, the best fold has the highest val_acc; ties go to the lower
 *    val_loss, then the lower fold index.
 *
 * @throws Error when there are no runs, when no run has finite metrics, on invalid options, on two runs of the
 *   same fold of a combination, or on runs of one combination with different params.
 */
export function select(runs: readonly RunRecord[], options: SelectOptions = DEFAULT_SELECT_OPTIONS): Selection {
  checkOptions(options);
  if (runs.length === 0) throw new Error('select: no finished runs to select from (did the train stage run?)');
  const { kept, dropped, relaxed } = filterRuns(runs, options.maxLossGap);
  if (kept.length === 0) {
    throw new Error(`select: none of the ${runs.length} runs has finite final metrics; see the dropped runs: ` +
      dropped.slice(0, 3).map((d) => `${d.name} (${d.reason})`).join('; '));
  }
  const relaxedArchs = new Set(relaxed.map((r) => r.architecture));

  const groups = new Map<string, RunRecord[]>();
  for (const run of kept) {
    const key = `${run.architecture}\u0000${run.combination}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const unscored = [...groups.values()].map((group) => summarise(group, relaxedArchs.has(group[0]!.architecture)));

  const accNorm = minMaxNormalise(unscored.map((c) => c.val_acc.mean), 1);
  const lossNorm = minMaxNormalise(unscored.map((c) => c.val_loss.mean), 0);
  const { accuracy: wa, loss: wl } = options.weights;
  const candidates: Candidate[] = unscored
    .map((c, i) => ({
      ...c,
      norm: { val_acc: accNorm[i]!, val_loss: lossNorm[i]! },
      score: wa * accNorm[i]! + wl * (1 - lossNorm[i]!),
    }))
    .sort(compareCandidates)
    .map((c, i) => ({ rank: i + 1, ...c }));

  const perArchitecture: ArchitecturePick[] = [];
  for (const c of candidates) {
    if (perArchitecture.some((p) => p.architecture === c.architecture)) continue;
    const group = groups.get(`${c.architecture}\u0000${c.combination}`)!;
    perArchitecture.push({
      architecture: c.architecture, combination: c.combination, params: c.params, score: c.score,
      gapFilterRelaxed: c.gapFilterRelaxed, bestRun: bestFold(group),
    });
  }
  return { options: structuredClone(options), candidates, perArchitecture, dropped, relaxed };
}

function checkOptions({ maxLossGap, weights }: SelectOptions): void {
  if (maxLossGap !== null && !(Number.isFinite(maxLossGap) && maxLossGap >= 0)) {
    throw new RangeError(`select: maxLossGap must be a number >= 0 or null (no filter), got ${maxLossGap}`);
  }
  for (const [k, w] of Object.entries(weights)) {
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`select: weights.${k} must be a number >= 0, got ${w}`);
  }
}

function filterRuns(runs: readonly RunRecord[], maxLossGap: number | null) {
  const dropped: DroppedRun[] = [];
  const relaxed: RelaxedArchitecture[] = [];
  const drop = (r: RunRecord, reason: string): void => {
    dropped.push({ runId: r.runId, name: r.name, architecture: r.architecture, combination: r.combination, fold: r.fold, reason });
  };
  const gap = (r: RunRecord): number => Math.abs(r.final.train_loss - r.final.val_loss);
  const byArch = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const bad = (Object.keys(r.final) as (keyof RunRecord['final'])[]).filter((k) => !Number.isFinite(r.final[k]));
    if (bad.length > 0) drop(r, `non-finite final metrics: ${bad.map((k) => `${k}=${r.final[k]}`).join(', ')}`);
    else byArch.set(r.architecture, [...(byArch.get(r.architecture) ?? []), r]);
  }
  const kept: RunRecord[] = [];
  for (const [architecture, archRuns] of [...byArch].sort(([a], [b]) => compareNames(a, b))) {
    const over = (r: RunRecord): boolean => maxLossGap !== null && gap(r) > maxLossGap + GAP_EPSILON;
    if (archRuns.every(over)) {
      const minGap = Math.min(...archRuns.map(gap));
      relaxed.push({
        architecture, runs: archRuns.length, minGap,
        reason: `${archRuns.length === 1 ? 'its only run exceeds' : `all ${archRuns.length} runs exceed`} ` +
          `max_loss_gap ${maxLossGap} (smallest gap ${minGap.toFixed(4)}); ` +
          'kept so the architecture still competes',
      });
      kept.push(...archRuns);
      continue;
    }
    for (const r of archRuns) {
      if (over(r)) drop(r, `|train_loss - val_loss| = ${gap(r).toFixed(4)} > max_loss_gap ${maxLossGap}`);
      else kept.push(r);
    }
  }
  return { kept, dropped, relaxed };
}

function summarise(group: RunRecord[], gapFilterRelaxed: boolean): Omit<Candidate, 'rank' | 'norm' | 'score'> {
  const runs = [...group].sort((a, b) => a.fold - b.fold);
  const first = runs[0]!;
  for (let i = 1; i < runs.length; i++) {
    const r = runs[i]!;
    if (r.fold === runs[i - 1]!.fold) {
      throw new Error(`select: two runs for ${r.architecture} ${r.combination} fold ${r.fold}: ` +
        `${runs[i - 1]!.runId} and ${r.runId} (pass one finished run per fold)`);
    }
    if (stableJson(r.params) !== stableJson(first.params)) {
      throw new Error(`select: runs of ${r.architecture} ${r.combination} have different params: ` +
        `${first.runId} ${stableJson(first.params)} vs ${r.runId} ${stableJson(r.params)}`);
    }
  }
  const stat = (k: keyof RunRecord['final']) => meanStd(runs.map((r) => r.final[k]));
  return {
    architecture: first.architecture, combination: first.combination, params: structuredClone(first.params),
    folds: runs.map((r) => r.fold), runIds: runs.map((r) => r.runId),
    train_loss: stat('train_loss'), train_acc: stat('train_acc'), val_loss: stat('val_loss'), val_acc: stat('val_acc'),
    gapFilterRelaxed,
  };
}

function compareCandidates(a: Omit<Candidate, 'rank'>, b: Omit<Candidate, 'rank'>): number {
  if (Math.abs(a.score - b.score) > SCORE_EPSILON) return b.score - a.score;
  return a.val_loss.mean - b.val_loss.mean ||
    compareNames(a.architecture, b.architecture) || compareNames(a.combination, b.combination);
}

function bestFold(group: readonly RunRecord[]): BestRun {
  const best = [...group].sort((a, b) =>
    b.final.val_acc - a.final.val_acc || a.final.val_loss - b.final.val_loss || a.fold - b.fold)[0]!;
  return { runId: best.runId, name: best.name, fold: best.fold, final: { ...best.final } };
}

/** JSON with object keys sorted, so equal params compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}
