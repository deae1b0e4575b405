/** Pieces every CLI command uses: loading a pipeline with the product's registry, the terminal. */
import type { Command } from 'commander';
import { loadPipeline } from '../config/load.ts';
import { parseOverride, type Override } from '../config/overrides.ts';
import type { PipelineConfig } from '../config/pipeline-config.ts';
import type { Registry } from '../registry.ts';
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

/** Loads and validates a pipeline file with the product's steps and sections. */
export async function load(registry: Registry, file: string, sets?: readonly string[]): Promise<PipelineConfig> {
  return loadPipeline(file, registry, { overrides: overridesFrom(sets) });
}

export function terminal(): Terminal {
  return new Terminal();
}

/** Writes JSON to stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
