/**
 * Group commit for the prediction log (`serve.with.log_durability: answered`): `commit(row)` resolves once the row
 * is committed, so the server answers only what is logged, and a replica killed a moment later loses no answered
 * prediction. Rows of concurrent requests share one transaction (one multi-row INSERT): a batch starts at once
 * when no write is in flight (an idle server pays one round-trip, no added delay), else when `maxRows` are waiting
 * or `maxDelayMs` after the first waiting row, with at most `maxWrites` writes in flight. Under load the requests
 * that arrive during a write ride the next one, so the cost is about one round-trip per group, not per request.
 * A write that fails or exceeds `timeoutMs` rejects every commit of its batch (the caller decides; the server
 * answers 503, see server/predictor.ts). `push(row)` is the fire-and-forget form (a shadow's row, written after
 * the answer): its failures are counted in `dropped`.
 */
import { InvalidStateError } from './errors.ts';
import type { PredictionLog, PredictionRecord } from './prediction-log.ts';

export interface GroupCommitOptions {
  /** Largest batch; a batch starts as soon as this many rows wait. Default 64. */
  readonly maxRows?: number;
  /** A waiting row waits at most this long for the write in flight before a second write starts. Default 5 ms. */
  readonly maxDelayMs?: number;
  /** Writes in flight at once (a PostgreSQL pool can take two; SQLite serialises them anyway). Default 2. */
  readonly maxWrites?: number;
  /** A commit not done after this long rejects (the row may still land: see README). Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Called when a fire-and-forget `push` row could not be written. */
  readonly onError?: (err: unknown, dropped: number) => void;
}

export interface GroupCommitWriter {
  /** Resolves once `row` is committed; rejects when its batch failed or timed out. */
  commit(row: PredictionRecord): Promise<void>;
  /** Fire and forget: commits `row`, counting it in `dropped` when that fails. */
  push(row: PredictionRecord): void;
  /** Resolves once every row given so far has been written (or failed). */
  flush(): Promise<void>;
  /** Flushes and refuses further rows. */
  close(): Promise<void>;
  /** Rows waiting for a write (not counting those in flight). */
  readonly pending: number;
  readonly dropped: number;
  readonly written: number;
  /** Writes (transactions) so far: `written / writes` is the mean group size. */
  readonly writes: number;
}

interface Waiting {
  readonly row: PredictionRecord;
  resolve(): void;
  reject(err: unknown): void;
}

export class CommitTimeoutError extends Error {
  readonly code = 'PREDICTION_LOG_TIMEOUT';
}

export function createGroupCommitWriter(log: Pick<PredictionLog, 'append'>, opts: GroupCommitOptions = {}): GroupCommitWriter {
  const maxRows = Math.max(1, opts.maxRows ?? 64);
  const maxDelayMs = Math.max(0, opts.maxDelayMs ?? 5);
  const maxWrites = Math.max(1, opts.maxWrites ?? 2);
  const timeoutMs = Math.max(1, opts.timeoutMs ?? 5000);
  const waiting: Waiting[] = [];
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let closed = false;
  let dropped = 0;
  let written = 0;
  let writes = 0;

  const write = (batch: Waiting[]): void => {
    writes++;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new CommitTimeoutError(`prediction log: a write of ${batch.length} rows took over ${timeoutMs} ms`)), timeoutMs);
    });
    const appended = log.append(batch.map((w) => w.row));
    const done = Promise.race([appended, timedOut]).then(
      () => {
        written += batch.length;
        for (const w of batch) w.resolve();
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
    // A timed-out write still holds its slot until the store answers: never more than maxWrites on the store.
    const slot = Promise.allSettled([appended, done]).then(() => {
      clearTimeout(timeout);
      inFlight.delete(slot);
      schedule();
    });
    inFlight.add(slot);
  };

  const start = (): void => {
    if (timer) (clearTimeout(timer), (timer = undefined));
    while (waiting.length > 0 && inFlight.size < maxWrites) write(waiting.splice(0, maxRows));
  };

  const schedule = (): void => {
    if (waiting.length === 0 || inFlight.size >= maxWrites) return;
    // Idle, or a full batch: now (after this tick, so rows of one tick share a write). Else a bounded wait.
    if (inFlight.size === 0 || waiting.length >= maxRows) immediate ??= setImmediate(() => ((immediate = undefined), start()));
    else timer ??= setTimeout(() => ((timer = undefined), start()), maxDelayMs);
  };

  const commit = (row: PredictionRecord): Promise<void> => {
    if (closed) return Promise.reject(new InvalidStateError('PREDICTIONS_WRITER_CLOSED', 'prediction writer is closed: rows given during shutdown are not logged'));
    return new Promise<void>((resolve, reject) => {
      waiting.push({ row, resolve, reject });
      schedule();
    });
  };

  const flush = async (): Promise<void> => {
    for (;;) {
      start();
      if (inFlight.size === 0 && waiting.length === 0) return;
      await Promise.all(inFlight);
    }
  };

  return {
    commit,
    push(row) {
      commit(row).catch((err: unknown) => {
        dropped++;
        opts.onError?.(err, dropped);
      });
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
    get pending() {
      return waiting.length;
    },
    get dropped() {
      return dropped;
    },
    get written() {
      return written;
    },
    get writes() {
      return writes;
    },
  };
}
