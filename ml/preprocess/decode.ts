/**
 * Decoding with sharp: any photo -> upright, 8-bit, 3-channel sRGB, shorter side resized to `spec.resize`.
 * Every view (centre, flip, random crops) is cut from this one decoded image in JS (see tensor.ts). What is decoded
 * and at which size is planned from the header first (plan.ts), so the work is bounded by what the input is.
 */
import fs from 'node:fs/promises';
import sharp, { type OutputInfo, type SharpOptions } from 'sharp';
import { iccBytes, readHeaderSize, sniffImage, type HeaderSize } from './header.ts';
import { decodeJpegScaled, JpegUnsupportedError, takesJpegPath } from './jpeg-scaled.ts';
import { decodePlan } from './plan.ts';
import type { PreprocessSpec } from './spec.ts';

/** A decoded, resized image: interleaved RGB, 8 bits per channel, row-major (HWC). */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Thrown when the input is not an image sharp can decode (the server maps it to 415/422). */
export class ImageDecodeError extends Error {
  readonly code = 'IMAGE_DECODE';
  /** The decoder (libvips or libjpeg) gave up because the decode ran past its `timeoutSeconds`. */
  readonly timedOut: boolean;
  constructor(what: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`cannot decode image ${what}: ${message}`, { cause });
    this.name = 'ImageDecodeError';
    this.timedOut = /timeout/i.test(message) || (cause as { code?: unknown } | undefined)?.code === 'JPEG_TIMEOUT';
  }
}

export interface DecodeOptions {
  /** The upright source size when the caller already read the header (the server does); else read here. */
  readonly size?: { readonly width: number; readonly height: number };
  /**
   * libvips abandons the decode after this many whole seconds (sharp's `timeout`, >= 1): the real stop behind a
   * request deadline. Default: none.
   */
  readonly timeoutSeconds?: number;
  /** Refuse sources with more pixels (libvips' `limitInputPixels`). Default sharp's, 0x3FFF x 0x3FFF. */
  readonly limitInputPixels?: number;
  /** An embedded ICC profile larger than this is ignored (decoded as sRGB). Default 1 MiB; real ones are < 1 MiB. */
  readonly maxIccBytes?: number;
}

export const DEFAULT_MAX_ICC_BYTES = 1024 * 1024;

/** Upright size from the header bytes, or sharp's header parser for unusual structures. */
async function uprightSize(bytes: Buffer, h: HeaderSize | undefined): Promise<{ width: number; height: number }> {
  if (h) return h.orientation >= 5 ? { width: h.height, height: h.width } : { width: h.width, height: h.height };
  const meta = await sharp(bytes).metadata();
  const w = meta.autoOrient?.width ?? meta.width;
  const hh = meta.autoOrient?.height ?? meta.height;
  if (!w || !hh) throw new Error('the header has no dimensions');
  return { width: w, height: hh };
}

/**
 * Decodes and resizes once. EXIF orientation is applied; alpha is flattened on white (a transparent product shot
 * reads as "on a white plate", not "on black"); grayscale, CMYK and 16-bit inputs become 8-bit sRGB. Only the
 * first frame of an animated image is read. An upright sRGB JPEG of ordinary shape is decoded and resized by
 * libjpeg-turbo in native code (jpeg-scaled.ts); everything else by libvips: the whole image, shorter side ->
 * resize (plan.ts).
 */
export function decodeForViews(input: Buffer | Uint8Array | string, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<RawImage> {
  return decode(input, spec, opts, true);
}

/**
 * Preprocessing version 2's decoder for every input (libvips only, no libjpeg path): for comparing decoders
 * (scripts/compare-decoders.ts). Features, training and serving use `decodeForViews`.
 */
export function decodeWithLibvips(input: Buffer | Uint8Array | string, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<RawImage> {
  return decode(input, spec, opts, false);
}

async function decode(input: Buffer | Uint8Array | string, spec: PreprocessSpec, opts: DecodeOptions, jpegPath: boolean): Promise<RawImage> {
  const what = typeof input === 'string' ? input : `(${input.length} bytes)`;
  let out: { data: Buffer; info: OutputInfo };
  try {
    const bytes = typeof input === 'string' ? await fs.readFile(input) : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const format = sniffImage(bytes);
    const header = format && readHeaderSize(bytes, format);
    const size = opts.size ?? (await uprightSize(bytes, header));
    const plan = decodePlan(size.width, size.height, spec);
    const icc = format !== undefined ? iccBytes(bytes, format) : 0;
    if (opts.limitInputPixels !== undefined && size.width * size.height > opts.limitInputPixels) {
      throw new Error(`the image has ${size.width}x${size.height} pixels, over the limit of ${opts.limitInputPixels}`);
    }
    const jpegInput = format === 'jpeg' && header ? { ...size, orientation: header.orientation, iccBytes: icc } : undefined;
    if (jpegPath && jpegInput && takesJpegPath(jpegInput, plan, spec)) {
      try {
        return await decodeJpegScaled(bytes, jpegInput, spec, opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : undefined);
      } catch (err) {
        // CMYK/YCCK: libvips converts those to sRGB below; anything else is the image's fault.
        if (!(err instanceof JpegUnsupportedError)) throw err;
      }
    }
    const options: SharpOptions = {
      autoOrient: true,
      // Accept photos with recoverable warnings (Food-101 has a few); reject real corruption.
      failOn: 'error',
      sequentialRead: true,
      // First frame only: an animated WebP/PNG is judged by its first picture, and costs one picture.
      pages: 1,
      animated: false,
      ignoreIcc: icc > (opts.maxIccBytes ?? DEFAULT_MAX_ICC_BYTES),
    };
    if (opts.limitInputPixels !== undefined) options.limitInputPixels = opts.limitInputPixels;
    let img = sharp(bytes, options);
    if (opts.timeoutSeconds !== undefined) img = img.timeout({ seconds: Math.max(1, Math.ceil(opts.timeoutSeconds)) });
    img = img.flatten({ background: { r: 255, g: 255, b: 255 } }).toColourspace('srgb');
    if (plan.extract) {
      // extract before resize = in source coordinates: only the window is ever resized.
      img = img.extract(plan.extract).resize(plan.resizeTo!.width, plan.resizeTo!.height, { fit: 'fill', kernel: spec.kernel, fastShrinkOnLoad: false });
    } else {
      // 'outside' = the shorter side becomes spec.resize, the longer one follows the aspect ratio.
      img = img.resize(spec.resize, spec.resize, { fit: 'outside', kernel: spec.kernel, fastShrinkOnLoad: plan.shrinkOnLoad });
    }
    out = await img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ImageDecodeError(what, err);
  }
  const { width, height, channels } = out.info;
  if (channels !== 3) throw new ImageDecodeError(what, new Error(`expected 3 channels after conversion, got ${channels}`));
  return { width, height, data: out.data };
}

/**
 * Process-wide sharp settings, called once by whoever owns the process (CLI, server, benchmark). Parallelism comes
 * from several images in flight on libuv's pool, so one libvips thread per image avoids oversubscribing small
 * machines; the operation cache only costs memory when every image is new. Output does not depend on these.
 */
export function configureSharp(opts: { concurrency?: number; cache?: boolean } = {}): void {
  sharp.concurrency(opts.concurrency ?? 1);
  sharp.cache(opts.cache ?? false);
}
