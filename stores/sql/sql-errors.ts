/** Errors of the SQL layer: a store that cannot be opened, is locked for too long, or has a malformed URL. */
import { StoreError } from '../errors.ts';

/** The store URL or file cannot be used (missing SQLite file, unreachable server, bad URL). */
export class StoreOpenError extends StoreError {
  constructor(message: string, options?: ErrorOptions) {
    super('STORE_OPEN_FAILED', message, options);
  }
}

export class StoreUrlError extends StoreError {
  constructor(message: string) {
    super('STORE_URL_INVALID', message);
  }
}

/** Another process held the SQLite write lock for longer than the busy timeout. */
export class StoreBusyError extends StoreError {
  constructor(target: string, timeoutMs: number, cause: unknown) {
    super('STORE_BUSY', `${target} stayed locked by another process for ${timeoutMs} ms (SQLITE_BUSY): retry when it has finished writing, or use PostgreSQL for many concurrent writers`, { cause });
  }
}
