/**
 * The backends every store contract suite runs against: SQLite always, PostgreSQL when MLOPS_TEST_POSTGRES_URL
 * is set. Each PostgreSQL store gets its own fresh schema (dropped after the test), so test files running in
 * parallel never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { tempDir } from './tmp.ts';
import { openStores, type OpenStoresOptions, type Stores } from '../../stores/index.ts';
import { STORE_MIGRATIONS } from '../../stores/migrations.ts';
import { migrate, openSql, parseStoreUrl, type SqlClient } from '../../stores/sql/index.ts';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty store URL, cleaned up after `t`. */
  url(t: TestContext): Promise<string>;
}

const pgUrl = process.env.MLOPS_TEST_POSTGRES_URL;
// CI (.ci/run) sets MLOPS_REQUIRE_POSTGRES: there a missing URL is a failure, not a quiet SQLite-only run.
if (process.env.MLOPS_REQUIRE_POSTGRES === '1' && !pgUrl) {
  throw new Error('MLOPS_REQUIRE_POSTGRES=1 but MLOPS_TEST_POSTGRES_URL is not set: the store suites must run on PostgreSQL too');
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  async url(t) {
    return `sqlite:${path.join(tempDir(t), 'mlops.db')}`;
  },
};

/** A PostgreSQL URL with a new schema `t_<random>` (created by the store at open, dropped after the test). */
export async function freshPostgresUrl(t: { after(fn: () => Promise<void>): void }, base = pgUrl!): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  t.after(async () => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  });
  return u.toString();
}

export const postgresBackend: Backend | undefined = pgUrl
  ? { name: 'postgres', url: (t) => freshPostgresUrl(t) }
  : undefined;

/** SQLite, plus PostgreSQL when MLOPS_TEST_POSTGRES_URL is set. */
export const backends: readonly Backend[] = postgresBackend ? [sqliteBackend, postgresBackend] : [sqliteBackend];

/** A migrated SQL client on `url`, closed after `t`. */
export async function openClient(t: { after(fn: () => Promise<void>): void }, url: string): Promise<SqlClient> {
  const db = await openSql(parseStoreUrl(url));
  t.after(() => db.close());
  await migrate(db, STORE_MIGRATIONS);
  return db;
}

/** `openStores` on `url`, closed after `t`. */
export async function openTestStores(t: { after(fn: () => Promise<void>): void }, url: string, opts: Partial<OpenStoresOptions> = {}): Promise<Stores> {
  const stores = await openStores({ url, registryDir: opts.registryDir ?? path.join(tempDir(t as never), 'registry'), ...opts });
  t.after(() => stores.close());
  return stores;
}
