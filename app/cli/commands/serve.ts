import type { Command } from 'commander';
import { runPipelineCommand } from '../../../runner/cli/commands/run.ts';
import { DEFAULT_PIPELINE, load } from '../../../runner/cli/shared.ts';
import { UsageError } from '../../../runner/errors.ts';
import type { Product } from '../../../runner/services.ts';

interface ServeFlags {
  port?: string;
  host?: string;
  alias?: string;
  model?: string;
  store?: string;
  set?: string[];
}

/** `pipeline serve` = `pipeline run <file> --only <the serve stage>`, with flags as --set overrides of its `with:`. */
export function serveCommand(program: Command, product: Product): void {
  program
    .command('serve')
    .description('Serve the registered model over HTTP (same as: pipeline run <file> --only serve). PORT in the environment sets the port too.')
    .argument('[file]', 'pipeline file with a serve stage', DEFAULT_PIPELINE)
    .option('--port <n>', 'port to listen on')
    .option('--host <host>', 'interface to listen on (0.0.0.0 in a container)')
    .option('--alias <alias>', 'alias or version to serve (default: champion)')
    .option('--model <name>', 'registered model name')
    .option('--store <url>', "store URL (default: the pipeline's store.url, else $MLOPS_STORE_URL)")
    .action(async (file: string, flags: ServeFlags) => {
      const config = await load(product.registry, file);
      const stage = config.stages.find((s) => s.step.name === 'serve');
      if (!stage) throw new UsageError(`${file} has no stage with step 'serve': add one (see docs/pipeline-reference.md)`);
      if (flags.port !== undefined && !/^\d+$/.test(flags.port)) throw new UsageError(`--port ${flags.port}: expected a port number`);
      const sets = Object.entries({ port: flags.port, host: flags.host, alias: flags.alias, model: flags.model })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `stages.${stage.name}.with.${k}=${v}`);
      if (flags.store) sets.push(`store.url=${flags.store}`);
      await runPipelineCommand(product, file, { only: [stage.name], set: sets });
    });
}
