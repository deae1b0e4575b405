/** Stable hashing of configuration values, bytes and files (the one place the project computes sha256). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** JSON with object keys sorted at every level, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the canonical JSON of `value`. */
export function hashValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

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
