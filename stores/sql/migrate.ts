/**
 * Versioned migrations per component and dialect, recorded in `schema_migrations (component, id, name,
 * applied_at)`. All pending migrations of all components run in one transaction, so two processes opening a
 * fresh store at once cannot both apply them: PostgreSQL takes a transaction-scoped advisory lock first, SQLite's
 * `BEGIN IMMEDIATE` takes the file's write lock. Shipped migrations are never edited; new ones are appended.
 */
import type { SqlClient, SqlTx } from './types.ts';
import { StoreError } from '../errors.ts';

export interface Migration {
  /** Orders the migrations of a component; written as a UTC stamp `YYYYMMDDhhmm`. */
  readonly id: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

export interface MigrationSet {
  /** `tracking`, `registry`, ...: each component owns its tables. */
  readonly component: string;
  readonly migrations: readonly Migration[];
}

export interface MigrateResult {
  /** `component:id name` of each migration applied now (empty when the store was up to date). */
  readonly applied: readonly string[];
}

const TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  id BIGINT NOT NULL,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (component, id)
)`;

function checkOrder(set: MigrationSet): void {
  for (let i = 1; i < set.migrations.length; i++) {
    if (set.migrations[i].id <= set.migrations[i - 1].id) {
      throw new Error(`migrations of '${set.component}' are out of order at ${set.migrations[i].id} ${set.migrations[i].name}: ids must increase`);
    }
  }
}

async function appliedIds(db: SqlClient | SqlTx): Promise<Set<string> | undefined> {
  try {
    const rows = await db.query<{ component: string; id: number }>('SELECT component, id FROM schema_migrations');
    return new Set(rows.map((r) => `${r.component}:${r.id}`));
  } catch {
    return undefined; // no table yet
  }
}

function pendingOf(sets: readonly MigrationSet[], done: Set<string>): { set: MigrationSet; m: Migration }[] {
  return sets.flatMap((set) => set.migrations.filter((m) => !done.has(`${set.component}:${m.id}`)).map((m) => ({ set, m })));
}

/** Applies what is pending; cheap (one SELECT, no lock) when nothing is. */
export async function migrate(db: SqlClient, sets: readonly MigrationSet[], now: () => number = Date.now): Promise<MigrateResult> {
  sets.forEach(checkOrder);
  const seen = await appliedIds(db);
  if (seen && pendingOf(sets, seen).length === 0) return { applied: [] };
  try {
    return await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.one("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':mlops-migrations'))");
      await db.script(TABLE_SQL, tx);
      if (tx.dialect === 'sqlite') await adoptLegacyVersions(tx, sets, now());
      const done = (await appliedIds(tx)) ?? new Set<string>();
      const applied: string[] = [];
      for (const { set, m } of pendingOf(sets, done)) {
        await db.script(tx.dialect === 'postgres' ? m.postgres : m.sqlite, tx);
        await tx.exec('INSERT INTO schema_migrations (component, id, name, applied_at) VALUES (?, ?, ?, ?)', [set.component, m.id, m.name, now()]);
        applied.push(`${set.component}:${m.id} ${m.name}`);
      }
      return { applied };
    });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_MIGRATION_FAILED', `migrating store ${db.target} failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * SQLite files written before versioned migrations kept `schema_versions (component, version)` = how many of the
 * component's migrations had run; the first migrations here are those same statements, so they are recorded as
 * applied instead of run again.
 */
async function adoptLegacyVersions(tx: SqlTx, sets: readonly MigrationSet[], at: number): Promise<void> {
  const legacy = await tx.one("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'");
  if (!legacy) return;
  const rows = await tx.query<{ component: string; version: number }>('SELECT component, version FROM schema_versions');
  for (const r of rows) {
    const set = sets.find((s) => s.component === r.component);
    for (const m of set?.migrations.slice(0, r.version) ?? []) {
      await tx.exec('INSERT INTO schema_migrations (component, id, name, applied_at) VALUES (?, ?, ?, ?) ON CONFLICT (component, id) DO NOTHING', [r.component, m.id, m.name, at]);
    }
  }
  await tx.exec('DROP TABLE schema_versions');
}
