/**
 * Progress of one unit of work: a live line (done/total, rate, ETA) on a TTY; plain periodic lines otherwise
 * (every 10 s and at the end), so CI logs stay readable.
 */
import type { Progress } from './context.ts';
import type { LogSink } from './logger.ts';

const PLAIN_EVERY_MS = 10_000;

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, '0')}s`;
}

export function createProgress(sink: LogSink, scope: string, label: string, total: number, unit = 'items'): Progress {
  const started = performance.now();
  let done = 0;
  let lastPlain = started;
  let finished = false;
  const term = sink.terminal;

  const text = (): string => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    return `${scope} ${label}: ${done}/${total} ${unit} (${pct}%) ${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}/s, ETA ${formatDuration(eta)}`;
  };
  const id = term.live ? term.addLive(`  ${term.color.cyan('…')} ${text()}`) : 0;

  return {
    tick(n = 1) {
      if (finished) return;
      done = Math.min(total, done + n);
      const now = performance.now();
      if (term.live) term.updateLive(id, `  ${term.color.cyan('…')} ${text()}`);
      else if (now - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = now;
        sink.write('info', scope, `${label}: ${text().slice(scope.length + label.length + 3)}`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (term.live) term.removeLive(id);
      const seconds = (performance.now() - started) / 1000;
      sink.write('debug', scope, `${label}: ${done}/${total} ${unit} in ${seconds.toFixed(1)}s`);
    },
  };
}
