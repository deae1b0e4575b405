/**
 * The composition root: the product's steps and sections, its services, and its own CLI commands, handed to
 * the generic runner. bin/pipeline.js and tests build the CLI from this.
 */
import type { Product } from '../runner/services.ts';
import { registry } from '../steps/index.ts';
import { dataCommand } from './cli/commands/data.ts';
import { k8sCommand } from './cli/commands/k8s.ts';
import { mlflowCommand } from './cli/commands/mlflow.ts';
import { monitorCommand } from './cli/commands/monitor.ts';
import { registryCommand } from './cli/commands/registry.ts';
import { rolloutCommand } from './cli/commands/rollout.ts';
import { runsCommand } from './cli/commands/runs.ts';
import { serveCommand } from './cli/commands/serve.ts';
import { storeCommand } from './cli/commands/store.ts';
import { openServices } from './services.ts';
import './step-stores.ts';

export const product: Product = {
  registry,
  openServices,
  commands: [runsCommand, registryCommand, dataCommand, mlflowCommand, storeCommand, serveCommand, k8sCommand, monitorCommand, rolloutCommand],
};
