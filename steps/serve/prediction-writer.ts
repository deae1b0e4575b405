/** The serve stage's prediction-log writer for `log_durability` (answered: group commit; buffered: batched). */
import type { StepContext } from '../../runner/context.ts';
import { createBatchedWriter } from '../../stores/batched-writer.ts';
import { createGroupCommitWriter } from '../../stores/group-commit-writer.ts';
import type { PredictionLog } from '../../stores/prediction-log.ts';

export function predictionWriter(store: Pick<PredictionLog, 'append'>, durability: 'answered' | 'buffered', deadlineMs: number, log: Pick<StepContext['log'], 'error' | 'warn'>) {
  if (durability === 'answered') {
    // A commit is bounded like the request itself: a store that hangs answers 503, never a request that hangs.
    return createGroupCommitWriter(store, {
      timeoutMs: deadlineMs,
      onError: (err, dropped) => log.error(`prediction log: ${(err as Error).message}; a shadow row was dropped (${dropped} since start)`),
    });
  }
  const writer = createBatchedWriter(store, {
    maxRows: 256,
    maxDelayMs: 500,
    maxQueued: 20_000,
    // Rows of a failed write are lost: say how many (also prediction_log_dropped_rows in /metrics).
    onError: (err, dropped) => log.error(`prediction log: ${(err as Error).message}; ${dropped.length} rows dropped (${writer.dropped} since start)`),
    onOverflow: (dropped) => log.warn(`prediction log: the store is not keeping up, rows are being dropped (${dropped} so far)`),
  });
  return writer;
}
