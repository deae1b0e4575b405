import type { Command } from 'commander';
import type { Product } from '../../services.ts';
import { collect, load, terminal } from '../shared.ts';

export function validateCommand(program: Command, product: Product): void {
  program
    .command('validate')
    .description('Check a pipeline file (schema, steps, references) without running anything; exit 1 on errors.')
    .argument('<file>', 'pipeline file (YAML)')
    .option('--set <key=value>', 'override a key (repeatable), e.g. --set stages.split.with.folds=5', collect)
    .action(async (file: string, opts: { set?: string[] }) => {
      const config = await load(product.registry, file, opts.set);
      const c = terminal().color;
      process.stdout.write(`${c.green('✓')} ${file} is valid: ${config.stages.length} stages (${config.stages.map((s) => s.name).join(' → ')})\n`);
    });
}
