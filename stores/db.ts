/**
 * The embedded SQLite database behind every store (tracking, registry, features, predictions, file hashes).
 * One file under `experiments/`, WAL mode so readers never block the writer, and a busy timeout so that
 * separate processes (a server and a CLI promotion, say) queue instead of failing.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Opens (creating if needed) the SQLite file at `file` with the project's pragmas. */
export function openDatabase(file: string, opts: { readonly?: boolean } = {}): Db {
  if (!opts.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  }
  return db;
}

/**
 * Applies the numbered migrations of one component (`tracking`, `registry`, ...) that have not run yet, each in
 * its own transaction. Components own their tables; the list only ever grows (never edit a shipped migration).
 */
export function migrate(db: Db, component: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const apply = db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
      | { version: number }
      | undefined;
    const current = row?.version ?? 0;
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v]);
    if (current < migrations.length) {
      db.prepare('INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version')
        .run(component, migrations.length);
    }
  });
  apply.immediate();
}
