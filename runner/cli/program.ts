/** Builds the `pipeline` command tree (tests introspect it; main.ts runs it). */
import { Command } from 'commander';
import { commands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('pipeline')
    .description('Declarative ML pipeline runner for Food-101: split, features, grid, train, aggregate, export, register, serve.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const add of commands) add(program);
  return program;
}
