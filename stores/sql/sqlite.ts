/**
 * The embedded dialect: one better-sqlite3 connection (WAL), synchronous calls wrapped in promises.
 *
 * - One connection, so statements of concurrent callers are serialised by an async mutex: while a transaction
 *   is open, other callers wait for it instead of slipping their statements into it.
 * - `busy_timeout` is 0: a write lock held by another process makes better-sqlite3 fail at once with
 *   SQLITE_BUSY instead of blocking the event loop (issue 15: the server froze for up to 10 s). The layer then
 *   retries `BEGIN IMMEDIATE` (or an autocommit statement) on a timer with backoff until `busyTimeoutMs`.
 * - Statements are prepared once and cached by their text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Row, SqlClient, SqlTx, SqlValue, TransactionOptions } from './types.ts';
import { StoreBusyError, StoreOpenError } from './sql-errors.ts';

export interface SqliteOptions {
  /** Refuse to create the file (CLI read commands: a typo must not create an empty store). */
  readonly mustExist?: boolean;
  /** How long to keep retrying while another process holds the write lock. Default 10 s. */
  readonly busyTimeoutMs?: number;
}

type Bind = string | number | bigint | null | Buffer;

function bind(params: readonly SqlValue[] | undefined): Bind[] {
  if (!params) return [];
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : (p as Bind)));
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

export class SqliteClient implements SqlClient {
  readonly dialect = 'sqlite' as const;
  readonly forUpdate = '';
  readonly target: string;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #busyTimeoutMs: number;
  readonly #statements = new Map<string, Database.Statement>();
  /** Tail of the queue of callers waiting for the connection. */
  #tail: Promise<void> = Promise.resolve();
  #held = false;

  constructor(file: string, opts: SqliteOptions = {}) {
    this.file = path.resolve(file);
    this.target = `sqlite:${this.file}`;
    if (opts.mustExist && !fs.existsSync(this.file)) {
      throw new StoreOpenError(`no SQLite store at ${this.file}: check --store / store.url, or run a pipeline first to create it`);
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.#db = new Database(this.file, { fileMustExist: opts.mustExist ?? false });
    this.#busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
    this.#db.pragma('busy_timeout = 0');
    this.#retrySync(() => this.#db.pragma('journal_mode = WAL'));
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
  }

  /** The underlying connection, for code that must stay synchronous (tests, benchmarks). */
  get raw(): Database.Database {
    return this.#db;
  }

  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#run(() => this.#stmt(sql).all(...bind(params)) as T[]);
  }

  one<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#run(() => this.#stmt(sql).get(...bind(params)) as T | undefined);
  }

  exec(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#run(() => this.#stmt(sql).run(...bind(params)).changes);
  }

  execMany(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<number> {
    return this.transaction(async (tx) => tx.execMany(sql, rows));
  }

  async script(sql: string, tx?: SqlTx): Promise<void> {
    if (tx) return void this.#db.exec(sql);
    await this.#run(() => this.#db.exec(sql));
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    const release = await this.#acquire();
    try {
      await this.#withBusyRetry(() => this.#db.exec(opts.readOnly ? 'BEGIN' : 'BEGIN IMMEDIATE'));
      let open = true;
      const tx = this.#handle(() => open);
      try {
        const result = await fn(tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      } finally {
        open = false;
      }
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    const release = await this.#acquire();
    try {
      if (this.#db.open) this.#db.close();
    } finally {
      release();
    }
  }

  /** A handle whose statements run directly on the connection (the caller holds the mutex). */
  #handle(isOpen: () => boolean): SqlTx {
    const check = () => {
      if (!isOpen()) throw new Error('SQL transaction handle used after its transaction ended: use the client instead');
    };
    const stmt = (sql: string) => (check(), this.#stmt(sql));
    return {
      dialect: 'sqlite',
      forUpdate: '',
      query: async <T>(sql: string, params?: readonly SqlValue[]) => stmt(sql).all(...bind(params)) as T[],
      one: async <T>(sql: string, params?: readonly SqlValue[]) => stmt(sql).get(...bind(params)) as T | undefined,
      exec: async (sql, params) => stmt(sql).run(...bind(params)).changes,
      execMany: async (sql, rows) => {
        const s = stmt(sql);
        let changes = 0;
        for (const r of rows) changes += s.run(...bind(r)).changes;
        return changes;
      },
    };
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** Runs one autocommit statement with the connection held (synchronously when it is free). */
  async #run<T>(fn: () => T): Promise<T> {
    if (!this.#held) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
    }
    const release = await this.#acquire();
    try {
      return await this.#withBusyRetry(fn);
    } finally {
      release();
    }
  }

  async #acquire(): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => { release = resolve; });
    await previous;
    this.#held = true;
    return () => {
      this.#held = false;
      release();
    };
  }

  /** Retries `fn` while the file is locked by another process, sleeping (not blocking) between attempts. */
  async #withBusyRetry<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (Date.now() >= deadline) throw new StoreBusyError(this.target, this.#busyTimeoutMs, err);
      }
      await sleep(delay);
    }
  }

  /** Synchronous retry for the constructor's pragmas (WAL switch needs a moment without writers). */
  #retrySync(fn: () => unknown): void {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (;;) {
      try {
        fn();
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }
}
