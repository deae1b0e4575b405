/**
 * Progress of one unit of work: a live line (done/total, rate, ETA, what is in flight) on a TTY; plain lines
 * otherwise, so CI logs stay readable. Both refresh on a timer, not only when work completes: a stage whose
 * units are long (a training run) still says every few seconds where it is.
 */
import type { Progress } from './context.ts';
import type { LogSink } from './logger.ts';

/** How often a plain (non-TTY) progress line is written while work goes on. */
export const PLAIN_EVERY_MS = 5_000;
/** How often the live line is redrawn (elapsed time and ETA move even without a tick). */
const LIVE_EVERY_MS = 1_000;

/** `42s`, `3m05s`, `1h02m`: rounded once, so 239.6 s is `4m00s`, never `3m60s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Units per second, or per minute when that reads better (`0.0 runs/s` says nothing). */
export function formatRate(perSecond: number, unit: string): string {
  if (perSecond >= 10) return `${perSecond.toFixed(0)} ${unit}/s`;
  if (perSecond >= 0.5) return `${perSecond.toFixed(1)} ${unit}/s`;
  return `${(perSecond * 60).toFixed(perSecond * 60 >= 10 ? 0 : 1)} ${unit}/min`;
}

export interface ProgressOptions {
  /** Plain-line interval (tests shorten it). Default PLAIN_EVERY_MS. */
  readonly everyMs?: number;
}

export function createProgress(sink: LogSink, scope: string, label: string, total: number, unit = 'items', opts: ProgressOptions = {}): Progress {
  const started = performance.now();
  let done = 0;
  let note = '';
  let finished = false;
  const term = sink.terminal;

  const text = (): string => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = done > 0 ? ((total - done) * seconds) / done : Infinity;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    const speed = done > 0 ? `${formatRate(rate, unit)}, ETA ${formatDuration(eta)}` : 'ETA ?';
    return `${label}: ${done}/${total} ${unit} (${pct}%) ${speed}, ${formatDuration(seconds)} elapsed${note ? `; ${note}` : ''}`;
  };
  const id = term.live ? term.addLive(`  ${term.color.cyan('…')} ${scope} ${text()}`) : 0;
  const redraw = (): void => {
    if (term.live) term.updateLive(id, `  ${term.color.cyan('…')} ${scope} ${text()}`);
  };
  const timer = term.live ? setInterval(redraw, LIVE_EVERY_MS) : setInterval(() => sink.write('info', scope, text()), opts.everyMs ?? PLAIN_EVERY_MS);
  timer.unref();

  return {
    tick(n = 1) {
      if (finished) return;
      done = Math.min(total, done + n);
      redraw();
    },
    note(text: string) {
      if (finished) return;
      note = text;
      redraw();
    },
    done() {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      if (term.live) term.removeLive(id);
      const seconds = (performance.now() - started) / 1000;
      sink.write('debug', scope, `${label}: ${done}/${total} ${unit} in ${seconds.toFixed(1)}s`);
    },
  };
}
