/** The CLI's commands, listed explicitly. */
import type { Command } from 'commander';
import { k8sCommand } from './k8s.ts';
import { mlflowCommand } from './mlflow.ts';
import { planCommand } from './plan.ts';
import { registryCommand } from './registry.ts';
import { runCommand } from './run.ts';
import { runsCommand } from './runs.ts';
import { serveCommand } from './serve.ts';
import { validateCommand } from './validate.ts';

export const commands: readonly ((program: Command) => void)[] = [validateCommand, planCommand, runCommand, runsCommand, registryCommand, mlflowCommand, serveCommand, k8sCommand];
