import path from 'node:path';
import type { Command } from 'commander';
import { Engine, projectPaths } from '../../engine.ts';
import { UsageError } from '../../errors.ts';
import { LogSink } from '../../logger.ts';
import { createRunRecord } from '../../run-record.ts';
import type { OpenedServices, Product } from '../../services.ts';
import { load, selectionOptions, terminal } from '../shared.ts';

export interface RunFlags {
  set?: string[];
  only?: string[];
  from?: string;
  until?: string;
  force?: boolean;
  shard?: string;
  verbose?: boolean;
}

function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (!text) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 0 || index >= count) throw new UsageError(`--shard ${text}: expected i/n with 0 <= i < n, e.g. --shard 0/4`);
  return { index, count };
}

/** Loads, validates and runs a pipeline; shared by `run` and `serve`. */
export async function runPipelineCommand(product: Product, file: string, flags: RunFlags): Promise<void> {
  const config = await load(product.registry, file, flags.set);
  const shard = parseShard(flags.shard);
  const term = terminal();
  const record = createRunRecord(config, projectPaths(config).logs, process.argv.slice(1));
  const sink = new LogSink(term, { file: record.logFile, verbose: flags.verbose });
  let services: OpenedServices;
  try {
    // Opened (and migrated) before the first stage: a bad store URL fails here, not half-way through.
    services = await product.openServices(config);
  } catch (err) {
    sink.close();
    throw err;
  }
  const engine = new Engine(config, sink, services);
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: leave now
    engine.log.warn(`${signal}: stopping once the current stage has finished the work in flight (Ctrl-C again to leave at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = performance.now();
  engine.log.info(`pipeline ${config.name} (${path.relative(process.cwd(), config.file)}), run ${record.id}`);
  engine.log.debug(`resolved config: ${record.configFile}`);
  engine.log.debug(`store: ${services.describe}`);
  try {
    const outcomes = await engine.run(flags, { force: flags.force ?? false, shard }, controller.signal);
    const ran = outcomes.filter((o) => o.status === 'ran').length;
    const peakMb = process.resourceUsage().maxRSS / 1024;
    engine.log.success(
      `finished in ${((performance.now() - started) / 1000).toFixed(1)}s: ${ran} ran, ${outcomes.length - ran} cached, peak RSS ${peakMb.toFixed(0)} MB. ` +
        `Log: ${path.relative(process.cwd(), record.logFile)}`,
    );
  } catch (err) {
    sink.writeFileOnly(`${(err as Error).stack ?? String(err)}${(err as Error).cause ? `\ncause: ${((err as Error).cause as Error).stack}` : ''}`);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await services.close();
    sink.close();
  }
}

export function runCommand(program: Command, product: Product): void {
  selectionOptions(
    program
      .command('run')
      .description('Run the pipeline: validate, then each selected stage in order, skipping cached ones.')
      .argument('<file>', 'pipeline file (YAML)'),
    'only these stages (repeatable or comma-separated); earlier results must be cached',
  )
    .option('--force', 'run selected stages even when cached')
    .option('--shard <i/n>', 'only shard i of n of the work (train), for parallel jobs')
    .option('-v, --verbose', 'show debug lines on the terminal (they are always in the log file)')
    .action((file: string, flags: RunFlags) => runPipelineCommand(product, file, flags));
}
