/**
 * Cutting views from a decoded image and normalising them into the backbone's float32 NCHW layout.
 */
import { createHash } from 'node:crypto';
import type { RawImage } from './decode.ts';
import type { PreprocessSpec } from './spec.ts';

/** Where one view sits in the resized image, and whether it is mirrored. */
export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly flip: boolean;
}

/** The centre crop (what serving sees). Odd margins put the extra pixel on the right/bottom. */
export function centerBox(raw: RawImage, spec: PreprocessSpec): CropBox {
  return { left: (raw.width - spec.crop) >> 1, top: (raw.height - spec.crop) >> 1, flip: false };
}

/**
 * The box of a named view. `crop<i>` positions are uniform over all valid positions and come from
 * sha256(seedKey, view): a counter-based PRNG, so a view's pixels depend only on the image and the view name,
 * never on processing order, batch composition or how many other views were asked for.
 */
export function viewBox(raw: RawImage, spec: PreprocessSpec, view: string, seedKey: string): CropBox {
  if (view === 'center') return centerBox(raw, spec);
  if (view === 'flip') return { ...centerBox(raw, spec), flip: true };
  // A zoom view is made from the centre crop afterwards, zoomed then mirrored in the exported graph's order
  // (zoom.ts viewsOfBatch): its box is the centre's.
  if (/^zoom[1-9]\d*(_flip)?$/.test(view)) return centerBox(raw, spec);
  const m = /^crop([1-9]\d*)$/.exec(view);
  if (!m) throw new Error(`unknown view '${view}': expected center, flip, crop<i> (i >= 1), zoom<z> or zoom<z>_flip`);
  const h = createHash('sha256').update(`${seedKey}\u0000${view}`).digest();
  const pick = (u32: number, span: number) => Math.floor((u32 / 2 ** 32) * (span + 1));
  return { left: pick(h.readUInt32BE(0), raw.width - spec.crop), top: pick(h.readUInt32BE(4), raw.height - spec.crop), flip: false };
}

/**
 * Per-channel lookup tables: value v of channel c -> (v/255 - mean[c]) / std[c], computed in double and rounded to
 * float32 once. A table lookup is both the exact formula and faster than the arithmetic.
 */
export function normalisationTables(spec: PreprocessSpec): [Float32Array, Float32Array, Float32Array] {
  const table = (c: number) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - spec.mean[c]!) / spec.std[c]!;
    return t;
  };
  return [table(0), table(1), table(2)];
}

/**
 * Cuts `box` from `raw` and writes it normalised, NCHW, into `out` at `offset` (a batch buffer), or into a new
 * array of length 3*crop*crop. `tables` may be passed to avoid rebuilding them per image.
 */
export function toTensor(
  raw: RawImage,
  spec: PreprocessSpec,
  box: CropBox = centerBox(raw, spec),
  out: Float32Array = new Float32Array(3 * spec.crop * spec.crop),
  offset = 0,
  tables: readonly [Float32Array, Float32Array, Float32Array] = normalisationTables(spec),
): Float32Array {
  const { crop } = spec;
  const { width, height, data } = raw;
  if (box.left < 0 || box.top < 0 || box.left + crop > width || box.top + crop > height) {
    throw new Error(`crop ${crop}x${crop} at (${box.left},${box.top}) does not fit a ${width}x${height} image`);
  }
  if (offset + 3 * crop * crop > out.length) throw new Error(`output buffer too small: need ${offset + 3 * crop * crop}, have ${out.length}`);
  const [tr, tg, tb] = tables;
  const plane = crop * crop;
  for (let y = 0; y < crop; y++) {
    let src = ((box.top + y) * width + box.left) * 3;
    let dst = offset + y * crop + (box.flip ? crop - 1 : 0);
    const step = box.flip ? -1 : 1;
    for (let x = 0; x < crop; x++) {
      out[dst] = tr[data[src]!]!;
      out[dst + plane] = tg[data[src + 1]!]!;
      out[dst + 2 * plane] = tb[data[src + 2]!]!;
      src += 3;
      dst += step;
    }
  }
  return out;
}

/**
 * Brightness and contrast of a decoded image (mean and std of Rec. 709 luma, 0..1), for drift monitoring. `step`
 * samples every step-th row and column (the server uses 2: a quarter of the work, the same statistics to ~1e-3 on
 * a 256-px image).
 */
export function imageStats(raw: RawImage, step = 1): { meanBrightness: number; contrast: number } {
  const { data, width, height } = raw;
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let row = 0; row < height; row += step) {
    const end = (row + 1) * width * 3;
    for (let i = row * width * 3; i < end; i += 3 * step) {
      const y = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
      sum += y;
      sumSq += y * y;
      n++;
    }
  }
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);
  return { meanBrightness: mean / 255, contrast: Math.sqrt(variance) / 255 };
}
