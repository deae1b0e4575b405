/**
 * The cost model of decoding: what part of the source to decode and at which size, decided from the source's size
 * alone (before one pixel is decoded). The work of decode + resize is then bounded by what the upload is, not by
 * what it would become after scaling: a 20000x2 strip would be 2,560,000x256 pixels (655 M) once its shorter side
 * is 256; here it becomes a window of at most `MAX_WINDOW_ASPECT` x resize pixels along the long side.
 */
import type { PreprocessSpec } from './spec.ts';

/**
 * The longest side of the decoded window, in multiples of `resize`. Every ordinary photo (Food-101's widest is
 * 2.2:1, panoramas ~3:1) is decoded whole, exactly as before; only more extreme strips are cut to their centre.
 */
export const MAX_WINDOW_ASPECT = 4;

/**
 * Above this many times `resize` on the shorter side, the JPEG/WebP decoder may shrink while decoding (DCT
 * scaling): a 40 MP JPEG then decodes as ~0.6 MP. Below it (every Food-101 photo), decoding is at full size, bit
 * for bit as before.
 */
export const SHRINK_ON_LOAD_FACTOR = 4;

export interface DecodePlan {
  /** Region of the upright source to decode, in source pixels; undefined: the whole image. */
  readonly extract?: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
  /**
   * The size after resizing. Undefined: sharp's own 'outside' fit (shorter side = resize), the path every ordinary
   * photo takes. Set (with `extract`): exactly this size.
   */
  readonly resizeTo?: { readonly width: number; readonly height: number };
  /** Let libjpeg/libwebp shrink during decoding (only for sources much larger than needed). */
  readonly shrinkOnLoad: boolean;
  /** Upper bound of the decoded window's pixels (what the views are cut from). */
  readonly outputPixels: number;
}

/** The plan for an upright source of `width` x `height` pixels. */
export function decodePlan(width: number, height: number, spec: Pick<PreprocessSpec, 'resize' | 'crop'>): DecodePlan {
  if (!(width >= 1 && height >= 1)) throw new Error(`decodePlan: invalid source size ${width}x${height}`);
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const scale = spec.resize / short;
  const maxLong = MAX_WINDOW_ASPECT * spec.resize;
  if (long * scale <= maxLong + 0.5) {
    const resizedLong = Math.round(long * scale);
    return { shrinkOnLoad: short >= SHRINK_ON_LOAD_FACTOR * spec.resize, outputPixels: spec.resize * resizedLong };
  }
  // Cut the centre of the long side first, in source coordinates, then resize only that.
  const srcLong = Math.min(long, Math.max(1, Math.round(maxLong / scale)));
  const offset = (long - srcLong) >> 1;
  const outLong = Math.max(spec.crop, Math.round(srcLong * scale));
  const wide = width >= height;
  return {
    extract: wide ? { left: offset, top: 0, width: srcLong, height } : { left: 0, top: offset, width, height: srcLong },
    resizeTo: wide ? { width: outLong, height: spec.resize } : { width: spec.resize, height: outLong },
    shrinkOnLoad: false,
    outputPixels: outLong * spec.resize,
  };
}
