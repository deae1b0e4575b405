/**
 * The SQL layer every store is written against: one small async interface, two dialects (embedded SQLite through
 * better-sqlite3, PostgreSQL through node-postgres). Stores write plain SQL with `?` placeholders; the PostgreSQL
 * dialect translates them to `$1, $2, ...`. Where the dialects really differ (DDL, bulk lookups), a store
 * branches on `dialect`.
 */

export type Dialect = 'sqlite' | 'postgres';

/**
 * What a placeholder can bind. Booleans become 1/0 on SQLite; Buffers are BLOB / bytea; arrays bind only on
 * PostgreSQL (`?::text[]`).
 */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array | readonly string[] | readonly number[];

export type Row = Record<string, unknown>;

export interface SqlQueryable {
  readonly dialect: Dialect;
  /**
   * ` FOR UPDATE` on PostgreSQL, empty on SQLite (whose write transactions lock the whole file from their first
   * statement): append it to a SELECT inside a write transaction to lock the rows it reads.
   */
  readonly forUpdate: string;
  /** All rows. 64-bit integers come back as numbers (an unsafe value throws rather than losing digits). */
  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement that returns no rows; resolves to the number of rows it changed. */
  exec(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * One single-row `INSERT ... VALUES (?, ...) [ON CONFLICT ...]` for many rows: a prepared statement in a loop on
   * SQLite, multi-row VALUES in chunks on PostgreSQL (one round trip per chunk). Resolves to rows changed.
   */
  execMany(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<number>;
}

/** A transaction's handle: use it (never the client) for every statement inside `transaction(fn)`. */
export type SqlTx = SqlQueryable;

export interface TransactionOptions {
  /**
   * A consistent read-only snapshot (PostgreSQL REPEATABLE READ READ ONLY; SQLite deferred BEGIN). Default false:
   * a write transaction (PostgreSQL READ COMMITTED plus the row locks the statements take; SQLite BEGIN IMMEDIATE,
   * which takes the file's write lock before anything is read).
   */
  readonly readOnly?: boolean;
}

export interface SqlClient extends SqlQueryable {
  /** Where it points, with any password removed (for messages). */
  readonly target: string;
  /**
   * Runs `fn` in one transaction: commit when it resolves, roll back when it rejects. On PostgreSQL a
   * serialization failure or deadlock retries `fn` (a few times), so `fn` must not have effects outside the
   * database that cannot be repeated.
   */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Several statements without parameters (DDL), inside `tx` if given. */
  script(sql: string, tx?: SqlTx): Promise<void>;
  close(): Promise<void>;
}
