/**
 * Store selection by URL: `sqlite:<file>` (relative to a base directory, default the current one), a bare file
 * path (read as SQLite, for `--store experiments/mlops.db`), or `postgres://user:pass@host:port/db[?schema=s]`
 * (also `postgresql://`).
 */
import path from 'node:path';
import { PostgresClient, redactUrl } from './postgres.ts';
import { SqliteClient } from './sqlite.ts';
import { StoreUrlError } from './sql-errors.ts';
import type { SqlClient } from './types.ts';

export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string };

/** Parses a store URL; relative SQLite paths resolve against `baseDir`. */
export function parseStoreUrl(url: string, baseDir = process.cwd()): StoreLocation {
  const text = url.trim();
  if (!text) throw new StoreUrlError("empty store URL: use 'sqlite:experiments/mlops.db' or 'postgres://user:pass@host:5432/db'");
  if (/^postgres(ql)?:\/\//i.test(text)) {
    try {
      new URL(text);
    } catch {
      throw new StoreUrlError(`store URL ${redactUrl(text)} is not a valid URL: expected postgres://user:pass@host:port/db`);
    }
    return { kind: 'postgres', url: text };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^sqlite:/i.test(text)) {
    throw new StoreUrlError(`store URL '${redactUrl(text)}' has an unknown scheme: use sqlite:<file> or postgres://...`);
  }
  // sqlite:<file>, sqlite://<file> (sqlite:///abs keeps its leading slash), or a bare path.
  const file = /^sqlite:/i.test(text) ? text.replace(/^sqlite:(\/\/)?/i, '') : text;
  if (!file) throw new StoreUrlError(`store URL '${text}' names no file: use sqlite:experiments/mlops.db`);
  return { kind: 'sqlite', file: path.resolve(baseDir, file) };
}

/** A printable form of the location (password removed). */
export function describeLocation(loc: StoreLocation): string {
  return loc.kind === 'sqlite' ? `sqlite:${loc.file}` : redactUrl(loc.url);
}

export interface OpenSqlOptions {
  /** SQLite only: refuse to create a missing file. */
  readonly mustExist?: boolean;
  /** SQLite only: how long to wait for another process's write lock. */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL only: pool size. */
  readonly poolSize?: number;
}

export async function openSql(loc: StoreLocation, opts: OpenSqlOptions = {}): Promise<SqlClient> {
  if (loc.kind === 'sqlite') return new SqliteClient(loc.file, { mustExist: opts.mustExist, busyTimeoutMs: opts.busyTimeoutMs });
  return PostgresClient.open(loc.url, { max: opts.poolSize });
}
