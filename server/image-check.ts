/**
 * What an upload is, decided from its bytes (never from the declared content type or file name), and how big it
 * is, read from its header before a single pixel is decoded: a 200 KB PNG can claim 30000 x 30000 pixels.
 */
import sharp, { type Metadata } from 'sharp';
import { HttpError } from './errors.ts';
import { readHeaderSize, type HeaderSize } from './image-header.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** The formats served, by their magic bytes. Everything else (GIF, SVG, PDF, HEIC, ...) is refused. */
export function sniffImage(buf: Uint8Array): ImageFormat | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && Buffer.from(buf.buffer, buf.byteOffset, 8).equals(PNG_MAGIC)) return 'png';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ascii(buf: Uint8Array, from: number, to: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1');
}

/** A human name for what a refused upload looks like, for the 415 message. */
export function describeContent(buf: Uint8Array): string {
  const head = ascii(buf, 0, Math.min(buf.length, 512));
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'a GIF image';
  if (head.startsWith('%PDF')) return 'a PDF document';
  if (head.startsWith('BM')) return 'a BMP image';
  if (/^(II\*\0|MM\0\*)/.test(head)) return 'a TIFF image';
  if (head.slice(4, 12).startsWith('ftyp')) return 'an ISO media file (HEIC/AVIF/MP4)';
  const text = head.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!doctype svg|<svg)/.test(text)) return 'an SVG document';
  if (/^<(!doctype html|html|head|body)/.test(text)) return 'an HTML document';
  if (/^[\x09\x0a\x0d\x20-\x7e]*$/.test(head)) return 'plain text';
  return 'unrecognised binary data';
}

export interface ImageHeader {
  readonly format: ImageFormat;
  /** Upright size (after the EXIF orientation), in pixels. */
  readonly width: number;
  readonly height: number;
}

/**
 * Sniffs and reads the header. Throws 415 (not JPEG/PNG/WebP), 413 (too many pixels) or 422 (unreadable header).
 * The size comes from the header bytes (image-header.ts, microseconds, same fields libvips reads); only unusual
 * headers go to `sharp().metadata()`, which parses the header only, with `limitInputPixels` as a second guard.
 */
export async function inspectImage(buf: Buffer, maxPixels: number): Promise<ImageHeader> {
  const format = sniffImage(buf);
  if (!format) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `the upload is ${describeContent(buf)}, not a JPEG, PNG or WebP image`);
  }
  const size = readHeaderSize(buf, format) ?? (await sharpHeader(buf, format, maxPixels));
  const { width, height } = size;
  if (width * height > maxPixels) throw tooLarge({ width, height }, maxPixels);
  // EXIF orientations 5-8 rotate by 90 degrees: report the upright size, as the model sees it.
  const turned = size.orientation >= 5;
  return { format, width: turned ? height : width, height: turned ? width : height };
}

async function sharpHeader(buf: Buffer, format: ImageFormat, maxPixels: number): Promise<HeaderSize> {
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: maxPixels }).metadata();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      // Header-only again, without the limit, just to name the size in the answer.
      const dims = await sharp(buf, { limitInputPixels: false }).metadata().catch(() => undefined);
      throw tooLarge(dims?.width && dims.height ? { width: dims.width, height: dims.height } : undefined, maxPixels);
    }
    throw new HttpError(422, 'IMAGE_CORRUPT', `the ${format.toUpperCase()} header cannot be read: ${message}`, { cause: err });
  }
  const { width, height } = meta;
  if (!width || !height) throw new HttpError(422, 'IMAGE_CORRUPT', `the ${format.toUpperCase()} header has no dimensions`);
  if (meta.format !== format) {
    throw new HttpError(422, 'IMAGE_CORRUPT', `the bytes start like ${format.toUpperCase()} but decode as ${String(meta.format)}`);
  }
  return { width, height, orientation: meta.orientation ?? 1 };
}

function tooLarge(dims: { width: number; height: number } | undefined, maxPixels: number): HttpError {
  const what = dims ? `${dims.width}x${dims.height} = ${((dims.width * dims.height) / 1e6).toFixed(1)} megapixels` : 'more pixels than allowed';
  return new HttpError(413, 'IMAGE_TOO_LARGE', `the image is ${what}; the limit is ${(maxPixels / 1e6).toFixed(1)} megapixels`);
}
