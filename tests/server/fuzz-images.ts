/**
 * Random images for the serving fuzz test and `scripts/fuzz-serve.ts`: any of six formats, 1 to 20,000 px per
 * side, then maybe corrupted. Sizes too big to encode quickly keep their claimed size in a forged header (PNG,
 * JPEG) or are scaled down to the generation budget (the others), so every case stays cheap to make and small.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';

export const FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;
export type FuzzFormat = (typeof FORMATS)[number];

export type Corruption = { kind: 'none' } | { kind: 'truncate'; at: number } | { kind: 'flip'; positions: number[] } | { kind: 'append'; bytes: number };

export interface FuzzCase {
  readonly format: FuzzFormat;
  readonly width: number;
  readonly height: number;
  readonly noise: boolean;
  readonly progressive: boolean;
  readonly corruption: Corruption;
}

/** Pixels actually encoded at most (a 20000 x 20000 claim is forged into the header instead). */
export const GENERATE_MAX_PIXELS = 2_000_000;

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  format: fc.constantFrom(...FORMATS),
  width: fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 600 })),
  height: fc.oneof(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 600 })),
  noise: fc.boolean(),
  progressive: fc.boolean(),
  corruption: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.integer({ min: 1, max: 4096 }) }) },
  ),
});

/** The encoded (and maybe corrupted) bytes of one case. */
export async function makeImage(c: FuzzCase): Promise<Buffer> {
  const slow = c.format === 'avif' || c.format === 'gif' || c.format === 'tiff';
  const budget = slow ? 128 * 128 : c.noise ? 250_000 : GENERATE_MAX_PIXELS;
  // WebP cannot say more than 16383 px a side (its header has 14 bits).
  const maxSide = c.format === 'webp' ? 16383 : 65535;
  let [w, h] = [Math.min(c.width, maxSide), Math.min(c.height, maxSide)];
  const forge = w * h > budget && (c.format === 'png' || c.format === 'jpeg');
  if (w * h > budget) {
    const k = Math.sqrt(budget / (w * h));
    [w, h] = [Math.max(1, Math.floor(w * k)), Math.max(1, Math.floor(h * k))];
  }
  const background = { r: (w * 7) % 256, g: (h * 13) % 256, b: 90 };
  const create = { width: w, height: h, channels: 3 as const, background, ...(c.noise ? { noise: { type: 'gaussian' as const, mean: 128, sigma: 40 } } : {}) };
  const img = sharp({ create });
  const encoded =
    c.format === 'jpeg'
      ? await img.jpeg({ quality: 60, progressive: c.progressive }).toBuffer()
      : c.format === 'png'
        ? await img.png({ compressionLevel: 1, progressive: c.progressive }).toBuffer()
        : c.format === 'webp'
          ? await img.webp({ quality: 50, effort: 0 }).toBuffer()
          : c.format === 'gif'
            ? await img.gif().toBuffer()
            : c.format === 'tiff'
              ? await img.tiff().toBuffer()
              : await img.avif({ effort: 0, quality: 30 }).toBuffer();
  const bytes = forge ? forgeSize(Buffer.from(encoded), c.format as 'png' | 'jpeg', c.width, c.height) : Buffer.from(encoded);
  return corrupt(bytes, c.corruption);
}

/** Writes a claimed size into the header (PNG IHDR with its CRC, JPEG's first SOF). */
function forgeSize(buf: Buffer, format: 'png' | 'jpeg', width: number, height: number): Buffer {
  if (format === 'png') {
    buf.writeUInt32BE(width, 16);
    buf.writeUInt32BE(height, 20);
    buf.writeUInt32BE(zlib.crc32(buf.subarray(12, 29)) >>> 0, 29);
    return buf;
  }
  for (let i = 2; i + 9 < buf.length; ) {
    if (buf[i] !== 0xff) break;
    const marker = buf[i + 1]!;
    if (marker === 0xc0 || marker === 0xc2) {
      buf.writeUInt16BE(Math.min(height, 0xffff), i + 5);
      buf.writeUInt16BE(Math.min(width, 0xffff), i + 7);
      break;
    }
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return buf;
}

function corrupt(buf: Buffer, c: Corruption): Buffer {
  if (c.kind === 'truncate') return buf.subarray(0, Math.floor(buf.length * c.at));
  if (c.kind === 'append') return Buffer.concat([buf, Buffer.alloc(c.bytes, 0xa5)]);
  if (c.kind === 'flip') {
    const out = Buffer.from(buf);
    for (const p of c.positions) {
      const i = Math.min(out.length - 1, Math.floor(p * out.length));
      if (i >= 0) out[i] = out[i]! ^ 0xff;
    }
    return out;
  }
  return buf;
}
