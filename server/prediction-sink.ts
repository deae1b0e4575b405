/**
 * Every prediction is logged for monitoring and drift detection. The sink is injected; `push` must be O(1) and
 * never block (it only enqueues). Two store writers fit this interface as they are (rows are the store's
 * `PredictionRecord`): the batched writer (`stores/batched-writer.ts`, `log_durability: buffered`) and the group
 * commit writer (`stores/group-commit-writer.ts`, `answered`), whose `commit` the predictor awaits before it answers.
 */
import type { PredictionRecord } from '../stores/prediction-log.ts';

export type { PredictionRecord } from '../stores/prediction-log.ts';

export interface PredictionSink {
  push(row: PredictionRecord): void;
  /**
   * When the sink has it (durable logging): resolves once `row` is committed, rejects when it could not be. The
   * predictor then awaits it before answering; `push` stays for rows written after an answer (a shadow's).
   */
  commit?(row: PredictionRecord): Promise<void>;
  /** Writes what is buffered now (feedback for a prediction not yet written), when the sink buffers. */
  flush?(): Promise<void>;
  /** Flushes what is buffered and refuses more; called once, after the last in-flight request finished. */
  close(): Promise<void>;
  /** Rows waiting to be written (exported as the `prediction_log_queue_length` gauge), when the sink can tell. */
  readonly pending?: number;
  /** Rows lost after failed writes (a locked store, a full disk): `prediction_log_dropped_rows`, never silent. */
  readonly dropped?: number;
}

/** A sink that drops everything (no logging configured). */
export function nullSink(): PredictionSink {
  return { push() {}, async close() {}, pending: 0 };
}

/** For tests: keeps rows in memory. */
export function memorySink(): PredictionSink & { readonly rows: PredictionRecord[]; closed: boolean } {
  const sink = {
    rows: [] as PredictionRecord[],
    closed: false,
    pending: 0,
    push(row: PredictionRecord) {
      sink.rows.push(row);
    },
    async close() {
      sink.closed = true;
    },
  };
  return sink;
}

/** `base`, plus a second reader of every row (the dashboard's live window), set once it exists. */
export function teeSink(base: PredictionSink): PredictionSink & { tap?: (row: PredictionRecord) => void } {
  const tee: PredictionSink & { tap?: (row: PredictionRecord) => void } = {
    push(row) {
      base.push(row);
      tee.tap?.(row);
    },
    close: () => base.close(),
    // Feedback for a request answered a moment ago waits for its row through this (server/feedback.ts).
    ...(base.flush ? { flush: () => base.flush!() } : {}),
    ...(base.commit
      ? {
          commit: async (row: PredictionRecord) => {
            await base.commit!(row);
            tee.tap?.(row);
          },
        }
      : {}),
    get pending() {
      return base.pending;
    },
    get dropped() {
      return base.dropped;
    },
  };
  return tee;
}
