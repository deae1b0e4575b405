/**
 * THE preprocessing function: feature extraction, training and serving all turn photos into tensors through
 * this module, so there is no train/serve skew. A photo is decoded and resized once (decode.ts); views are cut
 * and normalised from that in JS (tensor.ts).
 */
import { decodeForViews } from './decode.ts';
import type { PreprocessSpec, ViewsSpec } from './spec.ts';
import { normalisationTables, toTensor, viewBox } from './tensor.ts';
import { viewNames } from './spec.ts';
import { viewsOfBatch, zoomOf } from './zoom.ts';

export { configureSharp, decodeForViews, decodeWithLibvips, DEFAULT_MAX_ICC_BYTES, ImageDecodeError, type DecodeOptions, type RawImage } from './decode.ts';
export { iccBytes, readHeaderSize, sniffImage, type HeaderSize, type ImageFormat } from './header.ts';
export { decodePlan, MAX_WINDOW_ASPECT, SHRINK_ON_LOAD_FACTOR, type DecodePlan } from './plan.ts';
export { centerBox, imageStats, normalisationTables, toTensor, viewBox, type CropBox } from './tensor.ts';
export * from './spec.ts';
export { decoderVersion, preprocessingId } from './id.ts';
export { assertZoom, viewsOfBatch, zoomOf, zoomScale, zoomTensor } from './zoom.ts';

/** One photo (bytes or a path) -> the centre view as float32 NCHW `[3, crop, crop]` (length 3*crop*crop). */
export async function preprocess(input: Buffer | Uint8Array | string, spec: PreprocessSpec): Promise<Float32Array> {
  return toTensor(await decodeForViews(input, spec), spec);
}

/**
 * All views of one photo from a single decode: `center`, then `flip` if asked, then `crop1`..`cropN`, then zooms.
 * `seedKey` (the image's sha256) places the random crops.
 */
export async function preprocessViews(
  input: Buffer | Uint8Array | string,
  spec: PreprocessSpec,
  views: ViewsSpec,
  seedKey: string,
): Promise<{ view: string; data: Float32Array }[]> {
  const raw = await decodeForViews(input, spec);
  const tables = normalisationTables(spec);
  return viewNames(views).map((view) => {
    const data = toTensor(raw, spec, viewBox(raw, spec, view, seedKey), undefined, 0, tables);
    return { view, data: zoomOf(view) === undefined ? data : viewsOfBatch(data, 1, spec.crop, view) };
  });
}
