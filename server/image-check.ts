/**
 * What an upload is, decided from its bytes (never from the declared content type or file name), and how big it
 * is, read from its header before a single pixel is decoded: a 200 KB PNG can claim 30000 x 30000 pixels.
 */
import sharp, { type Metadata } from 'sharp';
import { HttpError } from './errors.ts';
import { readHeaderSize, sniffImage, type HeaderSize, type ImageFormat } from '../ml/preprocess/header.ts';

export { sniffImage, type ImageFormat } from '../ml/preprocess/header.ts';

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
 * Pixel limits by cost: a baseline JPEG shrinks while decoding (1/8 for large photos) and streams; PNG, WebP and
 * progressive JPEG cost every pixel (progressive JPEG also holds all its DCT coefficients in memory).
 */
export interface PixelLimits {
  /** Largest baseline JPEG, in pixels. */
  readonly maxPixels: number;
  /** Largest PNG, WebP or progressive JPEG, in pixels. */
  readonly maxFullDecodePixels: number;
}

/** The limit for one header. */
export function pixelLimit(format: ImageFormat, limits: PixelLimits, progressive = false): number {
  return format === 'jpeg' && !progressive ? limits.maxPixels : Math.min(limits.maxPixels, limits.maxFullDecodePixels);
}

/**
 * Sniffs and reads the header. Throws 415 (not JPEG/PNG/WebP), 413 (too many pixels) or 422 (unreadable header).
 * The size comes from the header bytes (ml/preprocess/header.ts, microseconds, same fields libvips reads); only
 * unusual headers go to `sharp().metadata()`, which parses the header only, with `limitInputPixels` as a guard.
 */
export async function inspectImage(buf: Buffer, limits: PixelLimits): Promise<ImageHeader> {
  const format = sniffImage(buf);
  if (!format) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `the upload is ${describeContent(buf)}, not a JPEG, PNG or WebP image`);
  }
  const size = readHeaderSize(buf, format) ?? (await sharpHeader(buf, format, pixelLimit(format, limits)));
  const { width, height } = size;
  const maxPixels = pixelLimit(format, limits, size.progressive);
  if (width * height > maxPixels) throw tooLarge({ width, height }, maxPixels, format);
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
      throw tooLarge(dims?.width && dims.height ? { width: dims.width, height: dims.height } : undefined, maxPixels, format);
    }
    throw new HttpError(422, 'IMAGE_CORRUPT', `the ${format.toUpperCase()} header cannot be read: ${message}`, { cause: err });
  }
  const { width, height } = meta;
  if (!width || !height) throw new HttpError(422, 'IMAGE_CORRUPT', `the ${format.toUpperCase()} header has no dimensions`);
  if (meta.format !== format) {
    throw new HttpError(422, 'IMAGE_CORRUPT', `the bytes start like ${format.toUpperCase()} but decode as ${String(meta.format)}`);
  }
  return { width, height, orientation: meta.orientation ?? 1, progressive: meta.isProgressive === true };
}

function tooLarge(dims: { width: number; height: number } | undefined, maxPixels: number, format?: ImageFormat): HttpError {
  const what = dims ? `${dims.width}x${dims.height} = ${((dims.width * dims.height) / 1e6).toFixed(1)} megapixels` : 'more pixels than allowed';
  const kind = format ? ` for ${format.toUpperCase()}` : '';
  return new HttpError(413, 'IMAGE_TOO_LARGE', `the image is ${what}; the limit${kind} is ${(maxPixels / 1e6).toFixed(1)} megapixels (send a smaller or JPEG version)`);
}
