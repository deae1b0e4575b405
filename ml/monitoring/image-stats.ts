/**
 * Cheap per-image input statistics for drift monitoring, computed from the image the service already decoded
 * (ml/preprocess `decodeForViews`), so monitoring adds one pass over the pixels and no second decode.
 */
import sharp from 'sharp';
import { decodeForViews, type PreprocessSpec, type RawImage } from '../preprocess/index.ts';

/** What the upload was, before decoding (format from the header, size in bytes, original dimensions). */
export interface ImageSource {
  /** sharp's format name ('jpeg', 'png', 'webp', ...), or 'unknown'. */
  readonly format: string;
  readonly byteSize: number;
  /** Original width and height in pixels (before the preprocessing resize). */
  readonly width: number;
  readonly height: number;
}

/**
 * Input statistics of one photo. Pixel statistics are on the decoded (resized) image, scaled to 0..1.
 * Keys are stable: they name columns of the prediction log and entries of the reference profile.
 */
export interface ImageStats {
  readonly meanR: number;
  readonly meanG: number;
  readonly meanB: number;
  readonly stdR: number;
  readonly stdG: number;
  readonly stdB: number;
  /** Mean Rec. 709 luma (same definition as ml/preprocess `imageStats`). */
  readonly brightness: number;
  /** Standard deviation of luma (RMS contrast). */
  readonly contrast: number;
  /** Mean HSV saturation, (max - min) / max per pixel; unchanged by uniform darkening. */
  readonly saturation: number;
  /** Share of pixels with luma below 0.1 (crushed shadows: darkening raises it, inversion swaps it with brightShare). */
  readonly darkShare: number;
  /** Share of pixels with luma above 0.9 (blown highlights, white plates and backgrounds). */
  readonly brightShare: number;
  /** Variance of the 4-neighbour Laplacian of a ~64-px greyscale thumbnail (luma 0..1): low means blurred. */
  readonly sharpness: number;
  readonly format: string;
  readonly byteSize: number;
  readonly width: number;
  readonly height: number;
}

/** The numeric statistics that drift tests compare, in a fixed order. */
export const NUMERIC_IMAGE_STATS = [
  'meanR', 'meanG', 'meanB', 'stdR', 'stdG', 'stdB', 'brightness', 'contrast', 'saturation', 'darkShare', 'brightShare', 'sharpness',
  'byteSize', 'width', 'height',
] as const;
/** One of NUMERIC_IMAGE_STATS. */
export type NumericImageStat = (typeof NUMERIC_IMAGE_STATS)[number];

/** Side of the greyscale thumbnail the sharpness measure works on (the shorter side, approximately). */
const THUMB_SIDE = 64;

/**
 * Statistics of a decoded RGB image (interleaved HWC, 8 bits per channel) plus what the caller knows of the
 * upload. One pass over the pixels for the colour statistics and the thumbnail, one over the thumbnail.
 */
export function computeImageStats(raw: RawImage, source: ImageSource): ImageStats {
  const { width, height, data } = raw;
  const n = width * height;
  if (n === 0 || data.length < n * 3) throw new Error(`computeImageStats: image ${width}x${height} has ${data.length} bytes, need ${n * 3}`);
  // Box-average luma into a thumbnail whose shorter side is about THUMB_SIDE: blur is judged at a fixed scale,
  // so the measure does not depend on the upload's resolution, and the Laplacian pass stays tiny.
  const f = Math.max(1, Math.round(Math.min(width, height) / THUMB_SIDE));
  const tw = Math.floor(width / f);
  const th = Math.floor(height / f);
  const thumb = new Float64Array(tw * th);
  // Pixels right of / below the last whole thumbnail cell go to a scratch cell, so the loop has no branch for them.
  const scratch = tw * th;
  const cell = new Int32Array(width);
  for (let x = 0; x < width; x++) cell[x] = Math.floor(x / f) < tw ? Math.floor(x / f) : -1;
  const acc = new Float64Array(scratch + 1);
  let sr = 0, sg = 0, sb = 0, sr2 = 0, sg2 = 0, sb2 = 0, sy = 0, sy2 = 0, ssat = 0, nDark = 0, nBright = 0;
  for (let y = 0; y < height; y++) {
    const trow = Math.floor(y / f);
    const rowBase = trow < th ? trow * tw : -1;
    let i = y * width * 3;
    for (let x = 0; x < width; x++, i += 3) {
      const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
      sr += r; sg += g; sb += b;
      sr2 += r * r; sg2 += g * g; sb2 += b * b;
      const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      sy += l; sy2 += l * l;
      if (l < 25.5) nDark++;
      else if (l > 229.5) nBright++;
      const mx = r > g ? (r > b ? r : b) : g > b ? g : b;
      const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
      if (mx > 0) ssat += (mx - mn) / mx;
      const c = cell[x]!;
      acc[rowBase >= 0 && c >= 0 ? rowBase + c : scratch]! += l;
    }
  }
  thumb.set(acc.subarray(0, scratch));
  const sd = (s: number, s2: number) => Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) / 255;
  return {
    meanR: sr / n / 255,
    meanG: sg / n / 255,
    meanB: sb / n / 255,
    stdR: sd(sr, sr2),
    stdG: sd(sg, sg2),
    stdB: sd(sb, sb2),
    brightness: sy / n / 255,
    contrast: sd(sy, sy2),
    saturation: ssat / n,
    darkShare: nDark / n,
    brightShare: nBright / n,
    sharpness: laplacianVariance(thumb, tw, th, 1 / (f * f * 255)),
    format: source.format,
    byteSize: source.byteSize,
    width: source.width,
    height: source.height,
  };
}

/** Variance of the 4-neighbour Laplacian over the interior of a `w x h` image, after scaling values by `scale`. */
export function laplacianVariance(img: Float64Array, w: number, h: number, scale = 1): number {
  if (w < 3 || h < 3) return 0;
  let s = 0, s2 = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = (img[i - 1]! + img[i + 1]! + img[i - w]! + img[i + w]! - 4 * img[i]!) * scale;
      s += v;
      s2 += v * v;
    }
  }
  const m = (w - 2) * (h - 2);
  return Math.max(0, s2 / m - (s / m) ** 2);
}

/** Reads format and dimensions from the header (sharp metadata: no pixel decode). */
export async function readImageSource(input: Buffer): Promise<ImageSource> {
  const meta = await sharp(input).metadata();
  return { format: meta.format ?? 'unknown', byteSize: input.length, width: meta.width ?? 0, height: meta.height ?? 0 };
}

/** Convenience for building references offline: header, the project's decode, then the statistics. */
export async function imageStatsOf(input: Buffer, spec: PreprocessSpec): Promise<ImageStats> {
  const [source, raw] = await Promise.all([readImageSource(input), decodeForViews(input, spec)]);
  return computeImageStats(raw, source);
}
