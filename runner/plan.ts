/**
 * Which stages a command touches (--only / --from / --until), and what each would do (cached or pending).
 */
import type { PipelineConfig, StageConfig } from './config/pipeline-config.ts';
import { didYouMean } from './config/suggest.ts';
import { UsageError } from './errors.ts';

export interface Selection {
  readonly only?: readonly string[];
  readonly from?: string;
  readonly until?: string;
}

function indexOf(config: PipelineConfig, name: string, flag: string): number {
  const i = config.stages.findIndex((s) => s.name === name);
  if (i < 0) {
    const names = config.stages.map((s) => s.name);
    throw new UsageError(`${flag} ${name}: no stage named '${name}'${didYouMean(name, names)}; stages: ${names.join(', ')}`);
  }
  return i;
}

/** The stages to run, in file order. --only excludes --from/--until. */
export function selectStages(config: PipelineConfig, sel: Selection): StageConfig[] {
  if (sel.only?.length) {
    if (sel.from || sel.until) throw new UsageError('--only cannot be combined with --from or --until');
    const wanted = new Set(sel.only.flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean));
    for (const name of wanted) indexOf(config, name, '--only');
    return config.stages.filter((s) => wanted.has(s.name));
  }
  const start = sel.from ? indexOf(config, sel.from, '--from') : 0;
  const end = sel.until ? indexOf(config, sel.until, '--until') : config.stages.length - 1;
  if (start > end) throw new UsageError(`--from ${sel.from} comes after --until ${sel.until} in the pipeline`);
  return config.stages.slice(start, end + 1);
}

export type StageStatus =
  | { readonly kind: 'cached'; readonly key: string; readonly finishedAt: string }
  | { readonly kind: 'pending'; readonly reason: string }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'missing step'; readonly reason: string };
