/**
 * The JPEG path of decoding (PREPROCESS_CODE_VERSION 3): libjpeg-turbo decodes (native/jpeg), shrinking inside its
 * inverse DCT by m/8 only as far as still leaves at least a factor of two for the final resample (libvips' own
 * rule for shrink-on-load), and the same native call then resamples to the target size with an antialiased linear
 * (triangle) filter: the filter libvips' `linear` kernel applies, and PIL's and torchvision's antialiased bilinear
 * (what the backbone was trained on). So a 512-px Food-101 photo gives the pixels of version 2 within rounding (0.16
 * of 255 on the median photo) for less than half of libvips' CPU, and a 40 MP photo decodes at 1/8 of its size.
 *
 * Why not shrink all the way in the DCT (a 512x512 photo straight to 256x256, 3x faster again): measured, it cost
 * 1.3 points of validation accuracy over 18 paired runs (14 worse): the DCT's reduction is a near-ideal low-pass,
 * sharper than the triangle filter the backbone's training data went through (BENCHMARKS.md, "Accuracy of the
 * default pipeline", version 3).
 *
 * Taken only when the result needs nothing libjpeg does not do: upright (EXIF orientation 1), no ICC profile (the
 * pixels are already sRGB), YCbCr/RGB/grayscale (CMYK is refused by the addon and goes to libvips), an ordinary
 * aspect ratio (decodePlan without a window), a shorter side of at least `resize` (no upscaling), and the `linear`
 * kernel (the default; another kernel is a request for libvips' resampling, so libvips does it all).
 */
import { createRequire } from 'node:module';
import type { DecodePlan } from './plan.ts';
import type { PreprocessSpec } from './spec.ts';
import type { RawImage } from './decode.ts';
import type * as JpegAddon from 'food101-jpeg';

// The addon is CommonJS (node-gyp builds it at install); a failed build fails `npm ci`, never this import quietly.
const jpeg = createRequire(import.meta.url)('food101-jpeg') as typeof JpegAddon;

/** libjpeg-turbo's version, part of the decoder build in the preprocessing id. */
export const libjpegTurboVersion: string = jpeg.version;

/**
 * Working memory libjpeg may use (coefficient buffers of progressive JPEGs, 2 bytes per coefficient): 16 MP of
 * 4:4:4 (the server's progressive limit) needs 96 MB. Beyond it the decode fails instead of growing.
 */
export const JPEG_MAX_MEMORY_BYTES = 128 * 1024 * 1024;

/** More progressive scans than this is not a photo (encoders write ~10): refused, as a CPU bomb would be. */
export const JPEG_MAX_SCANS = 100;

/**
 * The DCT scale in eighths (1..8) for an upright source: the smallest that keeps the shorter side at least twice
 * `resize` (8 when it is shorter than that), or undefined when the shorter side is below `resize`.
 */
export function jpegScaleEighths(width: number, height: number, spec: Pick<PreprocessSpec, 'resize'>): number | undefined {
  const short = Math.min(width, height);
  if (short < spec.resize) return undefined;
  for (let m = 1; m < 8; m++) if (Math.ceil((short * m) / 8) >= 2 * spec.resize) return m;
  return 8;
}

/** The size after resizing (shorter side = resize, the other by the aspect ratio, rounded), as libvips' 'outside' fit. */
export function outsideFit(width: number, height: number, resize: number): { width: number; height: number } {
  return width <= height
    ? { width: resize, height: Math.max(resize, Math.round((height * resize) / width)) }
    : { width: Math.max(resize, Math.round((width * resize) / height)), height: resize };
}

export interface JpegInput {
  readonly width: number;
  readonly height: number;
  readonly orientation: number;
  readonly iccBytes: number;
}

/** Whether `decodeJpegScaled` applies to this JPEG under this plan. */
export function takesJpegPath(input: JpegInput, plan: DecodePlan, spec: Pick<PreprocessSpec, 'resize' | 'kernel'>): boolean {
  return spec.kernel === 'linear' && input.orientation === 1 && input.iccBytes === 0 && plan.extract === undefined && jpegScaleEighths(input.width, input.height, spec) !== undefined;
}

/** Thrown for a JPEG the addon leaves to libvips (CMYK, YCCK, unusual component counts). */
export class JpegUnsupportedError extends Error {}

/**
 * Decodes at the DCT scale and resamples to the 'outside' fit in the same native job. The deadline stops libjpeg
 * itself (checked per row of blocks), not only the wait for it; the resample after it is bounded by the
 * DCT-scaled size (at most 1/64 of the source's pixels for large photos), not by the clock.
 */
export async function decodeJpegScaled(bytes: Buffer, input: JpegInput, spec: PreprocessSpec, timeoutMs?: number): Promise<RawImage> {
  const scaleEighths = jpegScaleEighths(input.width, input.height, spec)!;
  const target = outsideFit(input.width, input.height, spec.resize);
  try {
    return await jpeg.decode(bytes, {
      scaleEighths,
      maxScans: JPEG_MAX_SCANS,
      maxMemoryBytes: JPEG_MAX_MEMORY_BYTES,
      resizeWidth: target.width,
      resizeHeight: target.height,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'JPEG_UNSUPPORTED') throw new JpegUnsupportedError((err as Error).message);
    throw err;
  }
}
