/**
 * Streams bytes into a file while hashing them, through a temporary sibling renamed into place: a reader of
 * `dest` sees the old file or the whole new one, never a prefix, and a crash leaves only a `.tmp-<pid>-` file
 * (which the runner's crash-debris sweep, runner/crash-debris.ts, recognises). The digest is computed in flight (one read of
 * the bytes), which lib/hash.ts, hashing files at rest, does not offer.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256File } from '../lib/hash.ts';

export interface HashedFile {
  readonly sha256: string;
  readonly bytes: number;
}

export function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
}

/**
 * Writes `source` to a temp sibling of `dest`, then `accept(digest)` decides: return normally and the file is
 * renamed into place; throw and the temp file is removed (how the cache refuses a wrong sha256).
 */
export async function writeHashed(
  source: Readable | AsyncIterable<Uint8Array> | Uint8Array,
  dest: string,
  accept?: (digest: HashedFile) => void,
): Promise<HashedFile> {
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempSibling(dest);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const input = source instanceof Uint8Array ? Readable.from([source]) : source;
    await pipeline(
      input,
      async function* (chunks: AsyncIterable<Uint8Array>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      fs.createWriteStream(tmp, { flags: 'wx' }),
    );
    const digest = { sha256: hash.digest('hex'), bytes };
    accept?.(digest);
    await fs.promises.rename(tmp, dest);
    return digest;
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** sha256 and size of a file (lib/hash.ts reads it in chunks: model files can be large). */
export async function hashFile(file: string): Promise<HashedFile> {
  const { size } = await fs.promises.stat(file);
  return { sha256: await sha256File(file, size), bytes: size };
}
