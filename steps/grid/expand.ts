/**
 * Grid expansion: architectures x hyperparameter combinations x folds -> runs named `<arch>_<combo>_fold<k>`
 * (DESIGN.md section 5). Combinations are numbered c1, c2, ... per architecture in a fixed order: the cartesian
 * product over the hyperparameter keys in schema order, the first key varying slowest.
 */
import { hashValue } from '../../lib/hash.ts';

export type ParamGrid = Readonly<Record<string, unknown>>;

export interface GridRun {
  /** `<architecture>_<combination>_fold<k>`. */
  readonly name: string;
  readonly architecture: string;
  readonly combination: string;
  /** 1-based fold whose val part this run validates on. */
  readonly fold: number;
  /** Concrete hyperparameters of this combination. */
  readonly params: Readonly<Record<string, unknown>>;
}

/** The grid value of a key as a list (a single value is a one-element grid). */
function values(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/** All combinations of `grid`, keys in `keyOrder` first (then the rest sorted), first key slowest. */
export function combinations(grid: ParamGrid, keyOrder: readonly string[]): Record<string, unknown>[] {
  const keys = [...keyOrder.filter((k) => k in grid), ...Object.keys(grid).filter((k) => !keyOrder.includes(k)).sort()];
  let out: Record<string, unknown>[] = [{}];
  for (const key of keys) out = out.flatMap((partial) => values(grid[key]).map((v) => ({ ...partial, [key]: v })));
  return out;
}

export interface GridSpec {
  readonly architectures: readonly { readonly name: string; readonly params?: ParamGrid }[];
  readonly params: ParamGrid;
  readonly folds: readonly number[];
}

export function expandGrid(spec: GridSpec, keyOrder: readonly string[]): GridRun[] {
  const runs: GridRun[] = [];
  for (const arch of spec.architectures) {
    const combos = combinations({ ...spec.params, ...arch.params }, keyOrder);
    combos.forEach((params, i) => {
      for (const fold of spec.folds) {
        runs.push({ name: `${arch.name}_c${i + 1}_fold${fold}`, architecture: arch.name, combination: `c${i + 1}`, fold, params });
      }
    });
  }
  return runs;
}

/** A short id of a combination's content (tags and reuse checks use it; names stay readable). */
export function combinationHash(params: Readonly<Record<string, unknown>>): string {
  return hashValue(params).slice(0, 12);
}
