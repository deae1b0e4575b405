/** Pieces every CLI command uses: the registry, loading a pipeline, the terminal. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { registry } from '../../steps/index.ts';
import { loadPipeline } from '../config/load.ts';
import { parseOverride, type Override } from '../config/overrides.ts';
import type { PipelineConfig } from '../config/pipeline-config.ts';
import { projectPaths } from '../engine.ts';
import { Terminal } from '../terminal.ts';

export const DEFAULT_PIPELINE = 'pipelines/food101.yaml';

/** The options that pick stages and override keys, shared by `plan` and `run`. */
export function selectionOptions(cmd: Command, only: string): Command {
  return cmd
    .option('--only <stage>', only, collect)
    .option('--from <stage>', 'start at this stage (earlier ones must be cached)')
    .option('--until <stage>', 'stop after this stage')
    .option('--set <key=value>', 'override a key (repeatable), e.g. --set stages.train.with.epochs=5', collect);
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function overridesFrom(sets: readonly string[] | undefined): Override[] {
  return (sets ?? []).map(parseOverride);
}

export async function load(file: string, sets?: readonly string[]): Promise<PipelineConfig> {
  return loadPipeline(file, registry, { overrides: overridesFrom(sets) });
}

/** Where the SQLite store is: --store, else the pipeline file's experiments path, else ./experiments/mlops.db. */
export async function storePaths(opts: { store?: string; pipeline?: string }): Promise<{ dbFile: string; registryDir: string }> {
  if (opts.store) {
    const dbFile = path.resolve(opts.store);
    return { dbFile, registryDir: path.join(path.dirname(dbFile), 'registry') };
  }
  const file = opts.pipeline ?? (fs.existsSync(DEFAULT_PIPELINE) ? DEFAULT_PIPELINE : undefined);
  const experiments = file ? projectPaths(await load(file)).experiments : path.resolve('experiments');
  return { dbFile: path.join(experiments, 'mlops.db'), registryDir: path.join(experiments, 'registry') };
}

export function terminal(): Terminal {
  return new Terminal();
}

/** Writes JSON to stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
