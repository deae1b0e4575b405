/**
 * Decoding with sharp: any photo -> upright, 8-bit, 3-channel sRGB, shorter side resized to `spec.resize`.
 * Every view (centre, flip, random crops) is cut from this one decoded image in JS (see tensor.ts).
 */
import sharp, { type OutputInfo } from 'sharp';
import type { PreprocessSpec } from './spec.ts';

/** A decoded, resized image: interleaved RGB, 8 bits per channel, row-major (HWC). */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Thrown when the input is not an image sharp can decode (the server maps it to 415). */
export class ImageDecodeError extends Error {
  readonly code = 'IMAGE_DECODE';
  constructor(what: string, cause: unknown) {
    super(`cannot decode image ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ImageDecodeError';
  }
}

/**
 * Decodes and resizes once. EXIF orientation is applied; alpha is flattened on white (a transparent product shot
 * reads as "on a white plate", not "on black"); grayscale, CMYK and 16-bit inputs become 8-bit sRGB.
 */
export async function decodeForViews(input: Buffer | Uint8Array | string, spec: PreprocessSpec): Promise<RawImage> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(input, {
      autoOrient: true,
      // Accept photos with recoverable warnings (Food-101 has a few); reject real corruption.
      failOn: 'error',
      sequentialRead: true,
    })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      // 'outside' = the shorter side becomes spec.resize, the longer one follows the aspect ratio.
      .resize(spec.resize, spec.resize, { fit: 'outside', kernel: spec.kernel, fastShrinkOnLoad: false })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ImageDecodeError(typeof input === 'string' ? input : `(${input.length} bytes)`, err);
  }
  const { width, height, channels } = out.info;
  if (channels !== 3) throw new ImageDecodeError(typeof input === 'string' ? input : '(buffer)', new Error(`expected 3 channels after conversion, got ${channels}`));
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
