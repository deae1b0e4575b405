/** The runner's own commands, listed explicitly (the product adds its commands through `Product.commands`). */
import type { Command } from 'commander';
import type { Product } from '../../services.ts';
import { planCommand } from './plan.ts';
import { runCommand } from './run.ts';
import { validateCommand } from './validate.ts';

export const commands: readonly ((program: Command, product: Product) => void)[] = [validateCommand, planCommand, runCommand];
