import type { GridRun } from './expand.ts';

/** What the grid stage hands to the train stage. */
export interface GridResult {
  readonly runs: readonly GridRun[];
  /** Architecture name -> its entry from the `architectures:` section (family + spec). */
  readonly architectures: Readonly<Record<string, { readonly family: string; readonly [key: string]: unknown }>>;
}
