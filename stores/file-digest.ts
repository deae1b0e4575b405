/** Streaming sha256 of files, sync (small number of large files: the registry) and async (many files: the cache). */
import fs from 'node:fs';
import { createHash } from 'node:crypto';

const CHUNK = 1 << 20;

/** Reads the file in 1 MiB chunks so a large model never sits in memory whole. */
export function sha256FileSync(file: string): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0; size += n) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

/** Small files are read at once (faster for 100k photos), large ones streamed. */
export async function sha256File(file: string, knownSize?: number): Promise<string> {
  const size = knownSize ?? (await fs.promises.stat(file)).size;
  if (size <= 8 * CHUNK) return createHash('sha256').update(await fs.promises.readFile(file)).digest('hex');
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
