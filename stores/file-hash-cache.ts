/**
 * Content hashes of files, memoised by (absolute path, size, mtime): a second pass over 100k unchanged files
 * only stats them. Used by the runner's stage cache (inputs by content) and the split stage (image ids).
 */
import fs from 'node:fs';
import path from 'node:path';
import { migrate, type Db } from './db.ts';
import { systemClock, type Clock } from './common.ts';
import { sha256File } from '../runner/hash.ts';
import { DataError } from '../runner/errors.ts';

export interface FileHashCache {
  /** sha256 (hex) of the file's content; hashes only if the file changed since it was last seen. */
  sha256(file: string): Promise<string>;
  /** Hashes of `files` in the same order, at most `concurrency` files in flight (default 16). */
  sha256Many(files: readonly string[], concurrency?: number): Promise<string[]>;
  /** Forgets entries whose file no longer exists; returns how many. */
  prune(): number;
}

const MIGRATIONS = [
  `CREATE TABLE file_hashes (
     path TEXT PRIMARY KEY,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     sha256 TEXT NOT NULL,
     hashed_at INTEGER NOT NULL
   );`,
];

/** New entries are written in batches of this many (one transaction each). */
const WRITE_BATCH = 512;

interface Entry { path: string; size: number; mtimeMs: number; sha256: string }

export class SqliteFileHashCache implements FileHashCache {
  readonly #db: Db;
  readonly #now: Clock;

  constructor(db: Db, opts: { now?: Clock } = {}) {
    migrate(db, 'file_hashes', MIGRATIONS);
    this.#db = db;
    this.#now = opts.now ?? systemClock;
  }

  async sha256(file: string): Promise<string> {
    const [hash] = await this.sha256Many([file], 1);
    return hash;
  }

  async sha256Many(files: readonly string[], concurrency = 16): Promise<string[]> {
    const lookup = this.#db.prepare('SELECT size, mtime_ms, sha256 FROM file_hashes WHERE path = ?');
    const out = new Array<string>(files.length);
    const fresh: Entry[] = [];
    let next = 0;
    let failed = false;
    const worker = async () => {
      for (let i = next++; i < files.length && !failed; i = next++) {
        const abs = path.resolve(files[i]);
        const st = await fs.promises.stat(abs);
        if (!st.isFile()) throw new DataError(`cannot hash ${abs}: not a regular file`);
        const row = lookup.get(abs) as { size: number; mtime_ms: number; sha256: string } | undefined;
        if (row && row.size === st.size && row.mtime_ms === st.mtimeMs) {
          out[i] = row.sha256;
          continue;
        }
        const hash = await sha256File(abs, st.size);
        out[i] = hash;
        // A file rewritten while it was read must not be memoised under the old stat.
        const after = await fs.promises.stat(abs);
        if (after.size === st.size && after.mtimeMs === st.mtimeMs) fresh.push({ path: abs, size: st.size, mtimeMs: st.mtimeMs, sha256: hash });
        if (fresh.length >= WRITE_BATCH) this.#save(fresh.splice(0));
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, files.length)) }, () =>
        worker().catch((err: unknown) => { failed = true; throw err; })));
    } finally {
      this.#save(fresh.splice(0));
    }
    return out;
  }

  prune(): number {
    const paths = this.#db.prepare('SELECT path FROM file_hashes').pluck().all() as string[];
    const gone = paths.filter((p) => !fs.existsSync(p));
    const del = this.#db.prepare('DELETE FROM file_hashes WHERE path = ?');
    this.#db.transaction(() => { for (const p of gone) del.run(p); }).immediate();
    return gone.length;
  }

  #save(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const upsert = this.#db.prepare(
      `INSERT INTO file_hashes (path, size, mtime_ms, sha256, hashed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, hashed_at = excluded.hashed_at`,
    );
    const now = this.#now();
    this.#db.transaction(() => { for (const e of entries) upsert.run(e.path, e.size, e.mtimeMs, e.sha256, now); }).immediate();
  }
}
