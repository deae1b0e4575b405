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
  return program;
}
