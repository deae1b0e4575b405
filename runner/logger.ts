/**
 * Logging: coloured lines on the terminal, and (for `run`) the same lines plus debug detail in a log file.
 */
import fs from 'node:fs';
import type { Terminal } from './terminal.ts';

export type Level = 'debug' | 'info' | 'success' | 'warn' | 'error';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines carry `scope` (a stage name, a run name). */
  child(scope: string): Logger;
}

/** Where log lines go: the terminal (no debug unless verbose) and optionally a file (everything, no colours). */
export class LogSink {
  readonly terminal: Terminal;
  readonly verbose: boolean;
  #fd: number | undefined;

  constructor(terminal: Terminal, opts: { file?: string; verbose?: boolean } = {}) {
    this.terminal = terminal;
    this.verbose = opts.verbose ?? false;
    if (opts.file) this.#fd = fs.openSync(opts.file, 'a');
  }

  write(level: Level, scope: string, message: string): void {
    const time = new Date().toISOString();
    if (this.#fd !== undefined) {
      fs.writeSync(this.#fd, `${time} ${level.padEnd(7)} ${scope ? `[${scope}] ` : ''}${message}\n`);
    }
    if (level === 'debug' && !this.verbose) return;
    const c = this.terminal.color;
    const tag = scope ? c.cyan(scope.padEnd(10)) + ' ' : '';
    const paint = { debug: c.gray, info: (s: string) => s, success: c.green, warn: c.yellow, error: c.red }[level];
    const mark = { debug: ' ', info: ' ', success: '✓', warn: '!', error: '✗' }[level];
    this.terminal.line(`${c.gray(time.slice(11, 19))} ${paint(mark)} ${tag}${paint(message)}`);
  }

  /** Appends raw text (already formatted) to the log file only. */
  writeFileOnly(text: string): void {
    if (this.#fd !== undefined) fs.writeSync(this.#fd, text.endsWith('\n') ? text : `${text}\n`);
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}

export function createLogger(sink: LogSink, scope = ''): Logger {
  const at = (level: Level) => (message: string) => sink.write(level, scope, message);
  return {
    debug: at('debug'),
    info: at('info'),
    success: at('success'),
    warn: at('warn'),
    error: at('error'),
    child: (child: string) => createLogger(sink, scope ? `${scope}/${child}` : child),
  };
}
