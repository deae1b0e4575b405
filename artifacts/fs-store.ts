/**
 * The filesystem artifact store (the default): objects are files under a root directory, written through a temp
 * sibling and a rename so a concurrent reader or a crash never leaves a partial object under a key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactEntry, ArtifactStore, FetchedArtifact, PutSource, StoredArtifact } from './artifact-store.ts';
import { ArtifactError, why } from './errors.ts';
import { writeHashed } from './hashing-copy.ts';
import { checkKey, checkPrefix } from './keys.ts';

const TEMP = /^\..+\.tmp-\d+-/;

export class FsArtifactStore implements ArtifactStore {
  readonly url: string;
  readonly root: string;

  /** `root` is an absolute directory; it is created on the first put. */
  constructor(root: string) {
    this.root = path.resolve(root);
    this.url = pathToFileURL(this.root).href;
  }

  uriOf(key: string): string {
    return pathToFileURL(this.#path(key)).href;
  }

  async put(key: string, source: PutSource): Promise<StoredArtifact> {
    const target = this.#path(key);
    const uri = this.uriOf(key);
    try {
      const input = 'bytes' in source ? source.bytes : await openRead(source.file);
      const digest = await writeHashed(input, target);
      return { key, uri, ...digest };
    } catch (err) {
      throw this.#ioError('put', uri, err, 'file' in source ? source.file : undefined);
    }
  }

  async get(key: string): Promise<Buffer> {
    const file = this.#path(key);
    try {
      return await fs.promises.readFile(file);
    } catch (err) {
      throw this.#ioError('get', this.uriOf(key), err);
    }
  }

  async fetch(key: string, dest: string): Promise<FetchedArtifact> {
    const file = this.#path(key);
    try {
      const digest = await writeHashed(await openRead(file), path.resolve(dest));
      return { path: path.resolve(dest), ...digest };
    } catch (err) {
      throw this.#ioError('fetch', this.uriOf(key), err);
    }
  }

  async exists(key: string): Promise<boolean> {
    const st = await fs.promises.stat(this.#path(key)).catch(() => undefined);
    return st?.isFile() ?? false;
  }

  async list(prefix = ''): Promise<ArtifactEntry[]> {
    checkPrefix(this.url, prefix);
    // Only the directory the prefix reaches needs walking: 'models/food101/ab' starts in models/food101.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const entries: ArtifactEntry[] = [];
    const walk = async (relDir: string): Promise<void> => {
      const names = await fs.promises.readdir(path.join(this.root, relDir), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
        throw this.#ioError('list', this.url, err);
      });
      for (const d of names) {
        if (TEMP.test(d.name)) continue;
        const rel = relDir ? `${relDir}/${d.name}` : d.name;
        if (d.isDirectory()) {
          if (rel.startsWith(prefix) || prefix.startsWith(`${rel}/`)) await walk(rel);
        } else if (d.isFile() && rel.startsWith(prefix)) {
          const st = await fs.promises.stat(path.join(this.root, rel)).catch(() => undefined);
          if (st) entries.push({ key: rel, uri: this.uriOf(rel), bytes: st.size, modifiedAt: Math.round(st.mtimeMs) });
        }
      }
    };
    await walk(dirPart);
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<boolean> {
    const file = this.#path(key);
    try {
      await fs.promises.unlink(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw this.#ioError('delete', this.uriOf(key), err);
    }
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    checkKey(this.url, key);
    return path.join(this.root, ...key.split('/'));
  }

  #ioError(op: string, uri: string, err: unknown, source?: string): ArtifactError {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && source === undefined) {
      return new ArtifactError('ARTIFACT_NOT_FOUND', uri, `${op} ${uri}: no such artifact (was it deleted, or is artifacts.url pointing at another store?)`, { cause: err });
    }
    if (code === 'ENOENT') {
      return new ArtifactError('ARTIFACT_NOT_FOUND', uri, `${op} ${uri}: the source file ${source} does not exist`, { cause: err });
    }
    const hint = code === 'EACCES' || code === 'EPERM' ? ': check the permissions of ' + this.root
      : code === 'ENOSPC' ? ': the disk is full' : '';
    return new ArtifactError('ARTIFACT_IO', uri, `${op} ${uri} failed: ${why(err)}${hint}`, { cause: err });
  }
}

/** Opened before streaming, so a missing file fails here, not as an unhandled stream error. */
async function openRead(file: string): Promise<fs.ReadStream> {
  const fh = await fs.promises.open(file, 'r');
  return fh.createReadStream({ highWaterMark: 1 << 20 });
}
