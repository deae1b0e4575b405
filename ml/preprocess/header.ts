/**
 * What an image is and how big, straight from the header bytes, in microseconds and on the event loop: magic bytes,
 * then PNG IHDR, WebP VP8/VP8L/VP8X, JPEG SOFn (+ EXIF orientation). These are the same fields libvips reads (first
 * SOF, IHDR, VP8X canvas), so size limits see what the decoder will see. Returns undefined when the structure is
 * unusual; the caller then asks sharp's header parser. Also sizes the embedded ICC profile, which the decoder
 * ignores when it is implausibly large (decode.ts).
 */

/** The formats decoded (by their magic bytes). Everything else (GIF, TIFF, AVIF, SVG, PDF, HEIC, ...) is refused. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format from the magic bytes, never from a declared type or file name. */
export function sniffImage(buf: Uint8Array): ImageFormat | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && Buffer.from(buf.buffer, buf.byteOffset, 8).equals(PNG_MAGIC)) return 'png';
  if (buf.length >= 12 && latin1(buf, 0, 4) === 'RIFF' && latin1(buf, 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

function latin1(buf: Uint8Array, from: number, to: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1');
}

/**
 * Bytes of embedded ICC profile (JPEG APP2 ICC_PROFILE segments, PNG iCCP, WebP ICCP), scanning the header
 * structure only; 0 when none or when the structure is unusual. Bounded work: stops at the image data.
 */
export function iccBytes(buf: Buffer, format: ImageFormat): number {
  try {
    if (format === 'jpeg') {
      let total = 0;
      let i = 2;
      while (i + 4 <= buf.length && buf[i] === 0xff) {
        const marker = buf[i + 1]!;
        if (marker === 0xda || marker === 0xd9) break;
        if (marker === 0xff) {
          i++;
          continue;
        }
        if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
          i += 2;
          continue;
        }
        const length = buf.readUInt16BE(i + 2);
        if (marker === 0xe2 && buf.toString('latin1', i + 4, i + 16) === 'ICC_PROFILE\0') total += length;
        i += 2 + length;
      }
      return total;
    }
    if (format === 'png') {
      for (let i = 8; i + 8 <= buf.length; ) {
        const length = buf.readUInt32BE(i);
        const type = buf.toString('latin1', i + 4, i + 8);
        if (type === 'iCCP') return length;
        if (type === 'IDAT' || type === 'IEND') return 0;
        i += 12 + length;
      }
      return 0;
    }
    for (let i = 12; i + 8 <= buf.length; ) {
      const type = buf.toString('latin1', i, i + 4);
      const length = buf.readUInt32LE(i + 4);
      if (type === 'ICCP') return length;
      if (type === 'VP8 ' || type === 'VP8L' || type === 'ANIM' || type === 'ALPH') return 0;
      i += 8 + length + (length & 1);
    }
    return 0;
  } catch {
    return 0;
  }
}

export interface HeaderSize {
  readonly width: number;
  readonly height: number;
  /** EXIF orientation (1-8), 1 when absent. */
  readonly orientation: number;
  /**
   * A progressive (or lossless/arithmetic multi-scan) JPEG: libjpeg keeps every DCT coefficient of the whole
   * image in memory while decoding it (~6 bytes a pixel), so it costs like a full decode, not like a streamed one.
   */
  readonly progressive?: boolean;
}

export function readHeaderSize(buf: Buffer, format: ImageFormat): HeaderSize | undefined {
  try {
    if (format === 'png') return png(buf);
    if (format === 'webp') return webp(buf);
    return jpeg(buf);
  } catch {
    return undefined; // out-of-range reads on a truncated header
  }
}

function png(buf: Buffer): HeaderSize | undefined {
  if (buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), orientation: 1 };
}

function webp(buf: Buffer): HeaderSize | undefined {
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: buf.readUIntLE(24, 3) + 1, height: buf.readUIntLE(27, 3) + 1, orientation: 1 };
  if (chunk === 'VP8L' && buf[20] === 0x2f) {
    const bits = buf.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1, orientation: 1 };
  }
  if (chunk === 'VP8 ' && buf[23] === 0x9d && buf[24] === 0x01 && buf[25] === 0x2a) {
    return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff, orientation: 1 };
  }
  return undefined;
}

/** SOF markers carrying the frame size: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(buf: Buffer): HeaderSize | undefined {
  let orientation = 1;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return undefined;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // image data before any frame header
    const length = buf.readUInt16BE(i + 2);
    if (length < 2) return undefined;
    if (isSof(marker)) {
      const height = buf.readUInt16BE(i + 5);
      const width = buf.readUInt16BE(i + 7);
      if (!(width > 0 && height > 0)) return undefined;
      return { width, height, orientation, ...(marker !== 0xc0 && marker !== 0xc1 ? { progressive: true } : {}) };
    }
    if (marker === 0xe1 && buf.toString('latin1', i + 4, i + 10) === 'Exif\0\0') orientation = exifOrientation(buf, i + 10, i + 2 + length) ?? orientation;
    i += 2 + length;
  }
  return undefined;
}

/** Orientation tag (0x0112) of IFD0 in the TIFF structure at [start, end). */
function exifOrientation(buf: Buffer, start: number, end: number): number | undefined {
  const order = buf.toString('latin1', start, start + 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const ifd = start + u32(start + 4);
  if (ifd + 2 > end) return undefined;
  const entries = u16(ifd);
  for (let e = 0; e < entries; e++) {
    const at = ifd + 2 + e * 12;
    if (at + 12 > end) return undefined;
    if (u16(at) === 0x0112) {
      const value = u16(at + 8);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}
