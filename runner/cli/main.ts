/**
 * The `pipeline` command. Exit codes: 0 ok, 1 invalid config or failed stage, 2 usage error, 130 interrupted.
 * The product (its steps, services and commands) comes from the composition root (app/main.ts).
 */
import { CommanderError } from 'commander';
import { ConfigError, InterruptedError, PipelineError, UsageError } from '../errors.ts';
import type { Product } from '../services.ts';
import { buildProgram } from './program.ts';
import { terminal } from './shared.ts';

/** Stack traces are for developers: shown only with -v/--verbose (the run's log file always has them). */
const verbose = process.argv.slice(2).some((a) => a === '-v' || a === '--verbose');

function stackOf(err: unknown): string {
  if (!verbose || !(err instanceof Error)) return '';
  const cause = err.cause instanceof Error ? `\ncause: ${err.cause.stack}` : '';
  return `\n${err.stack}${cause}`;
}

function report(err: unknown): number {
  const c = terminal().color;
  if (err instanceof ConfigError) {
    process.stderr.write(`${c.red(`✗ ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in the pipeline:`)}\n${err.message}${stackOf(err)}\n`);
    return 1;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`${c.red('✗')} ${err.message}${stackOf(err)}\n`);
    return 2;
  }
  if (err instanceof InterruptedError) {
    process.stderr.write(`${c.yellow('!')} ${err.message}\n`);
    return 130;
  }
  if (err instanceof PipelineError) {
    const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `\n  cause: ${err.cause.message}` : '';
    process.stderr.write(`${c.red('✗')} ${err.message}${cause}${stackOf(err)}\n`);
    return 1;
  }
  const message = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  process.stderr.write(`${c.red('✗')} ${message}${verbose ? stackOf(err) : '\n  (an unexpected error: run again with -v for the stack trace)'}\n`);
  return 1;
}

/** Parses `argv` and runs the command; sets `process.exitCode`. */
export async function runCli(product: Product, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram(product).parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
    else process.exitCode = report(err);
  }
}
