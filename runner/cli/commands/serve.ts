import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { DEFAULT_PIPELINE, load } from '../shared.ts';
import { runPipelineCommand } from './run.ts';

interface ServeFlags {
  port?: string;
  host?: string;
  alias?: string;
  model?: string;
  set?: string[];
}

/** `pipeline serve` = `pipeline run <file> --only <the serve stage>`, with flags as --set overrides of its `with:`. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the registered model over HTTP (same as: pipeline run <file> --only serve). PORT in the environment sets the port too.')
    .argument('[file]', 'pipeline file with a serve stage', DEFAULT_PIPELINE)
    .option('--port <n>', 'port to listen on')
    .option('--host <host>', 'interface to listen on (0.0.0.0 in a container)')
    .option('--alias <alias>', 'alias or version to serve (default: champion)')
    .option('--model <name>', 'registered model name')
    .action(async (file: string, flags: ServeFlags) => {
      const config = await load(file);
      const stage = config.stages.find((s) => s.step.name === 'serve');
      if (!stage) throw new UsageError(`${file} has no stage with step 'serve': add one (see docs/pipeline-reference.md)`);
      if (flags.port !== undefined && !/^\d+$/.test(flags.port)) throw new UsageError(`--port ${flags.port}: expected a port number`);
      const sets = Object.entries({ port: flags.port, host: flags.host, alias: flags.alias, model: flags.model })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `stages.${stage.name}.with.${k}=${v}`);
      await runPipelineCommand(file, { only: [stage.name], set: sets });
    });
}
