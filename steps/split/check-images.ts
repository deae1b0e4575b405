/**
 * A cheap sanity check of every image before it enters a dataset version: empty, unreadable or non-image files
 * are reported by name and excluded. Reads only the header (sharp metadata), so it costs ~1 ms a file; truncated
 * bodies are caught later, when the features stage decodes them.
 */
import fs from 'node:fs';
import sharp from 'sharp';

const DECODABLE = new Set(['jpeg', 'png', 'webp']);

/** Undefined if the file looks like a usable image, else the reason it is not. */
export async function imageProblem(file: string): Promise<string | undefined> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  if (size === 0) return 'empty file (0 bytes)';
  try {
    const meta = await sharp(file).metadata();
    if (!meta.format || !DECODABLE.has(meta.format)) return `unsupported format '${meta.format ?? 'unknown'}' (expected JPEG, PNG or WebP)`;
    if (!meta.width || !meta.height) return 'no image dimensions in the header';
    return undefined;
  } catch (err) {
    return `not a readable image: ${(err as Error).message}`;
  }
}
