/**
 * A local, content-addressed cache of fetched artifacts, so a server fetches a model version's files once.
 *
 * - Blobs live at `<dir>/blobs/<ab>/<sha256>`: the name is the digest, so two URIs with the same content share one
 *   file, and a blob is only ever renamed into place after its bytes hashed to its name.
 * - A file whose hash does not match (a corrupted blob, or an object changed in the store after it was recorded)
 *   is refused and removed; a refused download raises ARTIFACT_SHA256_MISMATCH naming the URI.
 * - Concurrent fetches of the same artifact by several processes are safe: each downloads to its own temp file and
 *   renames it; the renames are atomic and the content is the same, so whichever lands last changes nothing.
 * - `materialize` assembles named files (model.onnx, labels.json, ...) into one directory per set of digests,
 *   built in a temp directory and renamed into place, with hard links to the blobs (a copy across devices).
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashValue } from '../lib/hash.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { ArtifactError } from './errors.ts';
import { hashFile, tempSibling } from './hashing-copy.ts';
import { checkKey } from './keys.ts';
import { openArtifactStore, splitArtifactUri, type ArtifactsContext } from './open-store.ts';
import { isProcessAlive } from '../lib/process-alive.ts';

/** A recorded artifact: where it is and what its bytes must hash to. */
export interface ArtifactRef {
  readonly uri: string;
  readonly sha256: string;
  readonly bytes?: number;
}

export interface ArtifactCacheOptions {
  /** The cache directory (created on first use). */
  readonly dir: string;
  readonly ctx: ArtifactsContext;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class ArtifactCache {
  readonly dir: string;
  readonly #ctx: ArtifactsContext;

  constructor(opts: ArtifactCacheOptions) {
    this.dir = path.resolve(opts.dir);
    this.#ctx = opts.ctx;
  }

  /** Where the blob with this digest lives (whether or not it is there yet). */
  blobPath(sha256: string): string {
    return path.join(this.dir, 'blobs', sha256.slice(0, 2), sha256);
  }

  /** The verified local path of `ref`, downloading it if the cache lacks it (or holds a corrupted copy). */
  async fetch(ref: ArtifactRef): Promise<string> {
    const pool = new StorePool(this.#ctx);
    try {
      return await this.#fetch(ref, pool);
    } finally {
      await pool.close();
    }
  }

  /**
   * A directory holding every file of `files` under its name, each verified against its sha256. The same set of
   * digests always gives the same directory, so a loader can keep it open while another version is fetched.
   */
  async materialize(files: Readonly<Record<string, ArtifactRef>>): Promise<string> {
    const names = Object.keys(files).sort();
    if (names.length === 0) throw new ArtifactError('ARTIFACT_BAD_KEY', this.dir, 'materialize: no files given');
    for (const n of names) checkKey(`cache ${this.dir}`, n);
    const setDir = path.join(this.dir, 'sets', hashValue(names.map((n) => [n, files[n]!.sha256])).slice(0, 32));
    const state = await this.#setState(setDir, files);
    if (state === 'valid') return setDir;
    if (state === 'invalid') {
      // Refused: a file in it no longer hashes to what was recorded. Moved aside first (atomic), so a process
      // that renames a fresh copy into place meanwhile never has it deleted under it.
      const aside = tempSibling(setDir);
      await fs.promises.rename(setDir, aside).catch(() => undefined);
      await fs.promises.rm(aside, { recursive: true, force: true });
    }
    const pool = new StorePool(this.#ctx);
    let tmp: string | undefined;
    try {
      const blobs = new Map<string, string>();
      for (const n of names) blobs.set(n, await this.#fetch(files[n]!, pool));
      tmp = tempSibling(setDir);
      await fs.promises.mkdir(tmp, { recursive: true });
      for (const n of names) await linkOrCopy(blobs.get(n)!, path.join(tmp, n));
      try {
        await fs.promises.rename(tmp, setDir);
        tmp = undefined;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another process renamed the same set into place first: its content is the same digests.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        if ((await this.#setState(setDir, files)) !== 'valid') throw err;
      }
      return setDir;
    } finally {
      if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
      await pool.close();
    }
  }

  async #fetch(ref: ArtifactRef, pool: StorePool): Promise<string> {
    const expected = ref.sha256.toLowerCase();
    if (!SHA256.test(expected)) {
      throw new ArtifactError('ARTIFACT_BAD_KEY', ref.uri, `artifact ${ref.uri}: recorded sha256 '${ref.sha256}' is not 64 hex digits`);
    }
    const blob = this.blobPath(expected);
    const cached = await hashFile(blob).catch(() => undefined);
    if (cached?.sha256 === expected) return blob;
    if (cached) await fs.promises.rm(blob, { force: true }); // corrupted in the cache: refused, fetched again
    await fs.promises.mkdir(path.dirname(blob), { recursive: true });
    removeDeadTemps(path.dirname(blob));
    const tmp = tempSibling(blob);
    try {
      const { store, key } = await pool.at(ref.uri);
      const got = await store.fetch(key, tmp);
      if (got.sha256 !== expected) {
        throw new ArtifactError('ARTIFACT_SHA256_MISMATCH', ref.uri,
          `artifact ${ref.uri}: its sha256 is ${got.sha256} (${got.bytes} bytes) but ${expected} was recorded: the object was changed or replaced after it was registered; the download was discarded. Re-register the model, or restore the original object`);
      }
      await fs.promises.rename(tmp, blob);
      return blob;
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  async #setState(setDir: string, files: Readonly<Record<string, ArtifactRef>>): Promise<'valid' | 'missing' | 'invalid'> {
    if (!fs.existsSync(setDir)) return 'missing';
    for (const [name, ref] of Object.entries(files)) {
      const got = await hashFile(path.join(setDir, name)).catch(() => undefined);
      if (got?.sha256 !== ref.sha256.toLowerCase()) return 'invalid';
    }
    return 'valid';
  }
}

/** One open store per store URL for the duration of one fetch or materialize (one S3 client, not one per file). */
class StorePool {
  readonly #ctx: ArtifactsContext;
  readonly #stores = new Map<string, Promise<ArtifactStore>>();
  constructor(ctx: ArtifactsContext) {
    this.#ctx = ctx;
  }
  async at(uri: string): Promise<{ store: ArtifactStore; key: string }> {
    const { storeUrl, key } = splitArtifactUri(uri);
    let store = this.#stores.get(storeUrl);
    if (!store) this.#stores.set(storeUrl, (store = openArtifactStore(storeUrl, this.#ctx)));
    return { store: await store, key };
  }
  async close(): Promise<void> {
    const all = await Promise.allSettled(this.#stores.values());
    await Promise.all(all.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.promises.link(from, to);
  } catch {
    await fs.promises.copyFile(from, to);
  }
}


/** Temp files of processes that died mid-download (never our own: this process may be downloading right now). */
function removeDeadTemps(dir: string): void {
  for (const entry of fs.readdirSync(dir)) {
    const m = /^\..+\.tmp-(\d+)-/.exec(entry);
    if (m && Number(m[1]) !== process.pid && !isProcessAlive(Number(m[1]))) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}
