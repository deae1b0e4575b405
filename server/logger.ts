/**
 * The little the server logs: swaps, load failures, our own bugs. The runner's `Logger` satisfies it, so the
 * serve stage passes `ctx.log`; standalone use gets timestamped lines on stderr.
 */
export interface ServerLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function consoleLogger(): ServerLogger {
  const at = (level: string) => (message: string) => process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} [serve] ${message}\n`);
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

/** For tests: collects lines instead of printing them. */
export function memoryLogger(): ServerLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
