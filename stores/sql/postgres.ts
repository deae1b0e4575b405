/**
 * The server dialect: PostgreSQL through node-postgres (`pg`), a small pool per store URL.
 *
 * - Type parsing is configured per pool (no global `pg.types` change): int8 (BIGINT, COUNT) becomes a JS number
 *   and throws if it would lose digits; bytea is a Buffer; jsonb is parsed by pg itself.
 * - `?schema=name` in the URL sets the `search_path` (created if missing), so tests (and several pipelines) can
 *   share one database without colliding.
 * - Write transactions are READ COMMITTED plus explicit row locks (`SELECT ... FOR UPDATE`, `ON CONFLICT`);
 *   read-only ones REPEATABLE READ for a consistent snapshot. Serialization failures and deadlocks retry.
 */
import pg from 'pg';
import { multiRowInsert, numberPlaceholders } from './placeholders.ts';
import { StoreOpenError } from './sql-errors.ts';
import type { Row, SqlClient, SqlQueryable, SqlTx, SqlValue, TransactionOptions } from './types.ts';

const INT8_OID = 20;
/** Bind parameters per statement are limited to 65535 by the protocol. */
const MAX_PARAMS = 60_000;
const MAX_ROWS_PER_INSERT = 1000;
const RETRY_CODES = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`64-bit integer ${text} from PostgreSQL exceeds Number.MAX_SAFE_INTEGER`);
  return n;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

function bind(params: readonly SqlValue[] | undefined): unknown[] {
  return (params ?? []).map((p) => (typeof p === 'bigint' ? p.toString() : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

/** Redacts the password of a postgres URL for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

function queryable(run: (sql: string, params: unknown[]) => Promise<pg.QueryResult>): SqlQueryable {
  const q = async (sql: string, params?: readonly SqlValue[]) => run(numberPlaceholders(sql).sql, bind(params));
  return {
    dialect: 'postgres',
    forUpdate: ' FOR UPDATE',
    query: async <T>(sql: string, params?: readonly SqlValue[]) => (await q(sql, params)).rows as T[],
    one: async <T>(sql: string, params?: readonly SqlValue[]) => (await q(sql, params)).rows[0] as T | undefined,
    exec: async (sql, params) => (await q(sql, params)).rowCount ?? 0,
    execMany: async (sql, rows) => {
      if (rows.length === 0) return 0;
      const perRow = rows[0].length || 1;
      const chunk = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS / perRow)));
      let changes = 0;
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const res = await run(multiRowInsert(sql, part.length), bind(part.flat()));
        changes += res.rowCount ?? 0;
      }
      return changes;
    },
  };
}

export class PostgresClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly target: string;
  /** The schema named by `?schema=`, else undefined (the server's default search_path). */
  readonly schema: string | undefined;
  readonly #pool: pg.Pool;
  readonly #direct: SqlQueryable;

  private constructor(url: string, pool: pg.Pool, schema: string | undefined) {
    this.target = redactUrl(url);
    this.#pool = pool;
    this.schema = schema;
    this.#direct = queryable((sql, params) => this.#pool.query(sql, params));
  }

  /** Connects (once, to fail early with a clear message) and creates the URL's schema if it is missing. */
  static async open(url: string, opts: { max?: number } = {}): Promise<PostgresClient> {
    const u = new URL(url);
    const schema = u.searchParams.get('schema') ?? undefined;
    u.searchParams.delete('schema');
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new StoreOpenError(`store URL ${redactUrl(url)}: schema '${schema}' must match [a-z_][a-z0-9_]*`);
    }
    const pool = new pg.Pool({
      connectionString: u.toString(),
      max: opts.max ?? 4,
      types: typeParsers,
      options: schema ? `-c search_path=${schema}` : undefined,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const client = new PostgresClient(url, pool, schema);
    try {
      if (schema) await client.#ensureSchema(schema);
      else await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => {});
      throw new StoreOpenError(`cannot open PostgreSQL store ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    return client;
  }

  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#direct.query<T>(sql, params);
  }

  one<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#direct.one<T>(sql, params);
  }

  exec(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#direct.exec(sql, params);
  }

  execMany(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<number> {
    return this.transaction((tx) => tx.execMany(sql, rows));
  }

  async script(sql: string, tx?: SqlTx): Promise<void> {
    if (tx) await tx.exec(sql);
    else await this.#pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.#pool.connect();
      let broken = false;
      try {
        await conn.query(opts.readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const result = await fn(queryable((sql, params) => conn.query(sql, params)));
        await conn.query('COMMIT');
        return result;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => { broken = true; });
        const code = (err as { code?: string }).code;
        if (!code || !RETRY_CODES.has(code) || attempt >= MAX_ATTEMPTS) throw err;
      } finally {
        conn.release(broken);
      }
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }

  #closed: Promise<void> | undefined;

  /** Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }

  async #ensureSchema(schema: string): Promise<void> {
    const exists = await this.#pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount) return;
    try {
      await this.#pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (err) {
      // Two processes creating it at once: one wins, the other sees a unique violation.
      if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P06') throw err;
    }
  }
}
