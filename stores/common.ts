/** Small helpers shared by the SQLite stores. */
import { randomUUID } from 'node:crypto';

/** Milliseconds since the epoch; injectable so tests (and the MLflow export test) get fixed timestamps. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A 32-hex id, the shape MLflow uses for run ids. */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

export { isProcessAlive } from '../lib/process-alive.ts';

/** Splits `items` into consecutive slices of at most `size`. */
export function* chunked<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Parses a JSON column, falling back to `fallback` for NULL. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  return text == null ? fallback : (JSON.parse(text) as T);
}
