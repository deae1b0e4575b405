/**
 * Buffers prediction rows and writes them off the request path: a batch is written when it reaches `maxRows`
 * (on the next turn of the event loop) or `maxDelayMs` after its first row, whichever comes first, in one
 * transaction. A request only pushes to an array.
 */
import { InvalidStateError } from './errors.ts';
import type { PredictionLog, PredictionRecord } from './prediction-log.ts';

export interface BatchedWriterOptions {
  /** Write as soon as this many rows are waiting. Default 256. */
  readonly maxRows?: number;
  /** Write at the latest this long after the first waiting row. Default 1000 ms. */
  readonly maxDelayMs?: number;
  /**
   * Called when a background write fails; the batch is dropped (logging must never take the server down or
   * grow without bound). Default: ignore. Explicit `flush()`/`close()` calls reject instead.
   */
  readonly onError?: (err: unknown, dropped: readonly PredictionRecord[]) => void;
}

export interface BatchedWriter {
  push(row: PredictionRecord): void;
  /** Writes what is waiting now. */
  flush(): Promise<void>;
  /** Flushes and refuses further rows. */
  close(): Promise<void>;
  /** Rows waiting to be written. */
  readonly pending: number;
  /** Rows dropped after failed background writes. */
  readonly dropped: number;
}

export function createBatchedWriter(log: PredictionLog, opts: BatchedWriterOptions = {}): BatchedWriter {
  const maxRows = Math.max(1, opts.maxRows ?? 256);
  const maxDelayMs = Math.max(0, opts.maxDelayMs ?? 1000);
  let buffer: PredictionRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let closed = false;
  let dropped = 0;

  const cancel = () => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
  };

  /** Writes the waiting rows; throws what the log throws (the rows are then dropped). */
  const write = () => {
    cancel();
    if (buffer.length === 0) return;
    const rows = buffer;
    buffer = [];
    try {
      log.append(rows);
    } catch (err) {
      dropped += rows.length;
      throw Object.assign(err as Error, { droppedRows: rows });
    }
  };

  const background = () => {
    try {
      write();
    } catch (err) {
      opts.onError?.(err, (err as { droppedRows?: PredictionRecord[] }).droppedRows ?? []);
    }
  };

  return {
    push(row) {
      if (closed) throw new InvalidStateError('PREDICTIONS_WRITER_CLOSED', 'prediction writer is closed: rows pushed during shutdown are not logged');
      buffer.push(row);
      if (buffer.length >= maxRows) {
        if (timer) { clearTimeout(timer); timer = undefined; }
        immediate ??= setImmediate(background);
      } else if (!timer && !immediate) {
        timer = setTimeout(background, maxDelayMs);
      }
    },
    async flush() {
      write();
    },
    async close() {
      closed = true;
      write();
    },
    get pending() {
      return buffer.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
