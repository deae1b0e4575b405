/**
 * Buffers prediction rows and writes them off the request path: a batch is written when `maxRows` are waiting
 * or `maxDelayMs` after the first waiting row, whichever comes first, in one transaction. At most one write is
 * in flight; rows arriving meanwhile wait for the next batch. The queue is capped (`maxQueued`): beyond it, and
 * when a background write fails, rows are dropped and counted (`dropped`), never silently. A request only pushes
 * to an array.
 */
import { InvalidStateError } from './errors.ts';
import type { PredictionLog, PredictionRecord } from './prediction-log.ts';

export interface BatchedWriterOptions {
  /** Write as soon as this many rows are waiting; also the largest batch. Default 256. */
  readonly maxRows?: number;
  /** Write at the latest this long after the first waiting row. Default 1000 ms. */
  readonly maxDelayMs?: number;
  /** Rows waiting beyond this are dropped (counted) instead of growing memory while the store is slow. Default 10,000. */
  readonly maxQueued?: number;
  /**
   * Called when a background write fails; its batch is dropped (logging must never take the server down or
   * grow without bound). Explicit `flush()`/`close()` calls reject instead.
   */
  readonly onError?: (err: unknown, dropped: readonly PredictionRecord[]) => void;
  /** Called once each time the queue overflows after having had room (so a log line is not one per request). */
  readonly onOverflow?: (droppedSoFar: number) => void;
}

export interface BatchedWriter {
  push(row: PredictionRecord): void;
  /** Writes everything waiting now (after the write in flight). */
  flush(): Promise<void>;
  /** Flushes and refuses further rows. */
  close(): Promise<void>;
  /** Rows waiting to be written (not counting the batch in flight). */
  readonly pending: number;
  /** Rows dropped: queue overflow plus failed background writes. */
  readonly dropped: number;
  /** Rows written so far. */
  readonly written: number;
}

export function createBatchedWriter(log: Pick<PredictionLog, 'append'>, opts: BatchedWriterOptions = {}): BatchedWriter {
  const maxRows = Math.max(1, opts.maxRows ?? 256);
  const maxDelayMs = Math.max(0, opts.maxDelayMs ?? 1000);
  const maxQueued = Math.max(maxRows, opts.maxQueued ?? 10_000);
  let buffer: PredictionRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let inFlight: Promise<void> | undefined;
  let closed = false;
  let dropped = 0;
  let written = 0;
  let overflowing = false;

  /** Writes one batch; a failure drops it (counted) and is rethrown. */
  const writeBatch = async (rows: PredictionRecord[]): Promise<void> => {
    try {
      await log.append(rows);
      written += rows.length;
    } catch (err) {
      dropped += rows.length;
      throw Object.assign(err as Error, { droppedRows: rows });
    }
  };

  /** Starts a background write of the next batch unless one is in flight. */
  const kick = (): void => {
    if (timer) { clearTimeout(timer); timer = undefined; }
    if (inFlight || buffer.length === 0) return;
    const rows = buffer.splice(0, maxRows);
    overflowing = false;
    inFlight = writeBatch(rows)
      .catch((err: unknown) => opts.onError?.(err, (err as { droppedRows?: PredictionRecord[] }).droppedRows ?? []))
      .finally(() => {
        inFlight = undefined;
        schedule();
      });
  };

  const schedule = (): void => {
    if (buffer.length === 0 || inFlight) return;
    if (buffer.length >= maxRows) immediate ??= setImmediate(() => { immediate = undefined; kick(); });
    else timer ??= setTimeout(kick, maxDelayMs);
  };

  /** Waits for the write in flight, then writes what is waiting, batch by batch; rejects on a failed batch. */
  const drain = async (): Promise<void> => {
    if (timer) { clearTimeout(timer); timer = undefined; }
    for (;;) {
      while (inFlight) await inFlight;
      if (buffer.length === 0) return;
      const rows = buffer.splice(0, maxRows);
      const p = writeBatch(rows);
      inFlight = p.then(() => undefined, () => undefined).finally(() => { inFlight = undefined; });
      await p;
    }
  };

  return {
    push(row) {
      if (closed) throw new InvalidStateError('PREDICTIONS_WRITER_CLOSED', 'prediction writer is closed: rows pushed during shutdown are not logged');
      if (buffer.length >= maxQueued) {
        dropped++;
        if (!overflowing) { overflowing = true; opts.onOverflow?.(dropped); }
        return;
      }
      buffer.push(row);
      schedule();
    },
    flush: drain,
    async close() {
      closed = true;
      await drain();
    },
    get pending() {
      return buffer.length;
    },
    get dropped() {
      return dropped;
    },
    get written() {
      return written;
    },
  };
}
