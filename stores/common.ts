/** Small helpers shared by the SQLite stores. */
import { randomUUID } from 'node:crypto';

/** Milliseconds since the epoch; injectable so tests (and the MLflow export test) get fixed timestamps. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A 32-hex id, the shape MLflow uses for run ids. */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

/**
 * Whether a process with this pid exists on this host. `kill(pid, 0)` sends nothing; ESRCH means no such
 * process, EPERM means it exists but belongs to another user (so it is alive).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Splits `items` into consecutive slices of at most `size`. */
export function* chunked<T>(items: readonly T[], size: number): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Parses a JSON column, falling back to `fallback` for NULL. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  return text == null ? fallback : (JSON.parse(text) as T);
}
