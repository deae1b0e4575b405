/** A decoded JPEG: interleaved RGB, 8 bits per channel, row-major. */
export interface DecodedJpeg {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export interface JpegDecodeOptions {
  /** DCT scaling: the output is ceil(width * num / 8) x ceil(height * num / 8). 1..16, default 8 (full size). */
  readonly scaleEighths?: number;
  /** Give up (`code` 'JPEG_TIMEOUT') after this many milliseconds of decoding. Default: no limit. */
  readonly timeoutMs?: number;
  /** A progressive JPEG with more scans than this fails (`code` 'JPEG_CORRUPT'). Default 100. */
  readonly maxScans?: number;
  /** libjpeg's working memory (coefficient buffers of progressive files) is capped at this many bytes. Default 256 MiB. */
  readonly maxMemoryBytes?: number;
  /** Refuse (`code` 'JPEG_TOO_LARGE') when the scaled output would exceed this many pixels. Default 2^26. */
  readonly maxOutputPixels?: number;
  /**
   * Then resample to exactly this size (both or neither) with an antialiased linear filter (PIL's and
   * torchvision's bilinear: the triangle widens by the reduction factor). Skipped when the scaled size matches.
   */
  readonly resizeWidth?: number;
  readonly resizeHeight?: number;
}

/**
 * Decodes to RGB on libuv's thread pool. Rejects with an Error whose `code` is 'JPEG_UNSUPPORTED' (CMYK/YCCK or an
 * unusual component count: decode it another way), 'JPEG_CORRUPT' (an error, or truncated data), 'JPEG_TIMEOUT'
 * or 'JPEG_TOO_LARGE'. Warnings that libjpeg recovers from (extraneous bytes before a marker) are accepted.
 */
export function decode(input: Uint8Array, options?: JpegDecodeOptions): Promise<DecodedJpeg>;

/** The libjpeg-turbo version the addon was built against, e.g. "2.1.5". */
export const version: string;
