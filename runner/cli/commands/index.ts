/** The CLI's commands, listed explicitly. */
import type { Command } from 'commander';
import { planCommand } from './plan.ts';
import { runCommand } from './run.ts';
import { validateCommand } from './validate.ts';

export const commands: readonly ((program: Command) => void)[] = [validateCommand, planCommand, runCommand];
