/**
 * The console sink: coloured when the stream is a TTY and NO_COLOR is unset (FORCE_COLOR forces it), plain text
 * otherwise. On a TTY it keeps a block of live progress lines at the bottom and redraws them around log lines.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export interface TerminalOptions {
  readonly stream?: NodeJS.WriteStream;
  readonly env?: NodeJS.ProcessEnv;
}

export class Terminal {
  readonly stream: NodeJS.WriteStream;
  readonly color: ChalkInstance;
  /** Live lines are drawn only on an interactive terminal. */
  readonly live: boolean;
  readonly #lines = new Map<number, string>();
  #drawn = 0;
  #nextId = 1;

  constructor(opts: TerminalOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    const env = opts.env ?? process.env;
    const tty = Boolean(this.stream.isTTY);
    const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
    const useColor = forced || (tty && env.NO_COLOR === undefined && env.TERM !== 'dumb');
    this.color = new Chalk({ level: useColor ? 1 : 0 });
    this.live = tty && env.TERM !== 'dumb' && env.CI === undefined;
  }

  /** Writes a finished line (above the live block). */
  line(text: string): void {
    this.#clear();
    this.stream.write(`${text}\n`);
    this.#draw();
  }

  /** Creates a live line; returns its id. */
  addLive(text: string): number {
    const id = this.#nextId++;
    this.#lines.set(id, text);
    this.#redraw();
    return id;
  }

  updateLive(id: number, text: string): void {
    if (!this.#lines.has(id)) return;
    this.#lines.set(id, text);
    this.#redraw();
  }

  removeLive(id: number): void {
    if (this.#lines.delete(id)) this.#redraw();
  }

  #redraw(): void {
    if (!this.live) return;
    this.#clear();
    this.#draw();
  }

  #clear(): void {
    if (!this.live || this.#drawn === 0) return;
    this.stream.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #draw(): void {
    if (!this.live) return;
    const width = this.stream.columns ?? 120;
    for (const text of this.#lines.values()) this.stream.write(`${text.slice(0, Math.max(20, width - 1))}\n`);
    this.#drawn = this.#lines.size;
  }
}
