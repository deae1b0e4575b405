/** Builds the `pipeline` command tree (tests introspect it; main.ts runs it): the runner's commands, then the product's. */
import { Command } from 'commander';
import type { Product } from '../services.ts';
import { commands } from './commands/index.ts';

export function buildProgram(product: Product): Command {
  const program = new Command('pipeline')
    .description('Declarative ML pipeline runner for Food-101: split, features, grid, train, aggregate, export, register, serve.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const add of [...commands, ...product.commands]) add(program, product);
  // Every command takes -v: main.ts shows an error's stack trace only then (`run` also shows debug lines).
  const leaves = (cmd: Command): Command[] => (cmd.commands.length ? cmd.commands.flatMap(leaves) : [cmd]);
  for (const cmd of leaves(program)) {
    if (!cmd.options.some((o) => o.short === '-v')) cmd.option('-v, --verbose', 'on an error, show its stack trace');
  }
  return program;
}
