/**
 * Content hashes of files, memoised by (absolute path, size, mtime): a second pass over 100k unchanged files
 * only stats them. Used by the runner's stage cache (inputs by content) and the split stage (image ids).
 * Memo rows are read in slices of paths (one query per slice, not per file) and written in batches.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MigrationSet, SqlClient } from './sql/index.ts';
import { chunked, systemClock, type Clock } from './common.ts';
import { sha256File } from '../lib/hash.ts';
import { mapLimit } from '../lib/map-limit.ts';
import { DataError } from '../runner/errors.ts';

export interface FileHashCache {
  /** sha256 (hex) of the file's content; hashes only if the file changed since it was last seen. */
  sha256(file: string): Promise<string>;
  /** Hashes of `files` in the same order, at most `concurrency` files in flight (default 16). */
  sha256Many(files: readonly string[], concurrency?: number): Promise<string[]>;
  /** Forgets entries whose file no longer exists; returns how many. */
  prune(): Promise<number>;
}

export const FILE_HASH_MIGRATIONS: MigrationSet = {
  component: 'file_hashes',
  migrations: [{
    id: 202611010000,
    name: 'file hash memo',
    sqlite: `CREATE TABLE file_hashes (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     sha256 TEXT NOT NULL,
     hashed_at INTEGER NOT NULL
   );`,
    // mtime is compared by equality: float8 round-trips the double that fs.stat returns.
    postgres: `CREATE TABLE file_hashes (
     path TEXT PRIMARY KEY,
     size BIGINT NOT NULL,
     mtime_ms DOUBLE PRECISION NOT NULL,
     sha256 TEXT NOT NULL,
     hashed_at BIGINT NOT NULL
   );`,
  }],
};

/** Paths per lookup statement, and new entries per write transaction. */
const LOOKUP_CHUNK = 500;
const WRITE_BATCH = 512;

interface Entry { path: string; size: number; mtimeMs: number; sha256: string }

export class SqlFileHashCache implements FileHashCache {
  readonly #db: SqlClient;
  readonly #now: Clock;

  constructor(db: SqlClient, opts: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = opts.now ?? systemClock;
  }

  async sha256(file: string): Promise<string> {
    const [hash] = await this.sha256Many([file], 1);
    return hash;
  }

  async sha256Many(files: readonly string[], concurrency = 16): Promise<string[]> {
    const abs = files.map((f) => path.resolve(f));
    const limit = Math.max(1, concurrency);
    const stats = await mapLimit(abs, limit, async (file) => {
      const st = await fs.promises.stat(file);
      if (!st.isFile()) throw new DataError(`cannot hash ${file}: not a regular file`);
      return st;
    });
    const known = new Map<string, { size: number; mtime_ms: number; sha256: string }>();
    for (const slice of chunked([...new Set(abs)], LOOKUP_CHUNK)) {
      const rows = await this.#db.query<{ path: string; size: number; mtime_ms: number; sha256: string }>(
        `SELECT path, size, mtime_ms, sha256 FROM file_hashes WHERE path IN (${slice.map(() => '?').join(', ')})`, slice);
      for (const r of rows) known.set(r.path, r);
    }
    const fresh = new Map<string, Entry>();
    const pendingSaves: Promise<void>[] = [];
    try {
      return await mapLimit(abs, limit, async (file, i) => {
        const st = stats[i];
        const row = known.get(file);
        if (row && row.size === st.size && row.mtime_ms === st.mtimeMs) return row.sha256;
        const hash = await sha256File(file, st.size);
        // A file rewritten while it was read must not be memoised under the old stat.
        const after = await fs.promises.stat(file);
        if (after.size === st.size && after.mtimeMs === st.mtimeMs) fresh.set(file, { path: file, size: st.size, mtimeMs: st.mtimeMs, sha256: hash });
        if (fresh.size >= WRITE_BATCH) pendingSaves.push(this.#save(take(fresh)));
        return hash;
      });
    } finally {
      pendingSaves.push(this.#save(take(fresh)));
      await Promise.all(pendingSaves);
    }
  }

  async prune(): Promise<number> {
    const paths = (await this.#db.query<{ path: string }>('SELECT path FROM file_hashes')).map((r) => r.path);
    const gone = paths.filter((p) => !fs.existsSync(p));
    if (gone.length === 0) return 0;
    await this.#db.transaction(async (tx) => {
      for (const slice of chunked(gone, LOOKUP_CHUNK)) await tx.exec(`DELETE FROM file_hashes WHERE path IN (${slice.map(() => '?').join(', ')})`, slice);
    });
    return gone.length;
  }

  async #save(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = this.#now();
    await this.#db.execMany(
      `INSERT INTO file_hashes (path, size, mtime_ms, sha256, hashed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, hashed_at = excluded.hashed_at`,
      entries.map((e) => [e.path, e.size, e.mtimeMs, e.sha256, now]),
    );
  }
}

function take(m: Map<string, Entry>): Entry[] {
  const out = [...m.values()];
  m.clear();
  return out;
}
