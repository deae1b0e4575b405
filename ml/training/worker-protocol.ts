/** Messages from the training worker to its parent. */
import type { EpochMetrics, TrainResult } from './types.ts';

export type WorkerMessage =
  | { readonly type: 'backend'; readonly backend: { readonly name: string; readonly detail: string } }
  | { readonly type: 'epoch'; readonly metrics: EpochMetrics }
  | { readonly type: 'result'; readonly result: TrainResult }
  | { readonly type: 'error'; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } };
