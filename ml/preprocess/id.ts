/**
 * The id that names a preprocessing (and, with the backbone's sha256, a feature space).
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { libjpegTurboVersion } from './jpeg-scaled.ts';
import { PREPROCESS_CODE_VERSION, type PreprocessSpec } from './spec.ts';

/**
 * The decoder build: a libvips or sharp upgrade may change decoded pixels (JPEG IDCT, resampling), and cached
 * features must then not be mixed with what serving computes.
 */
export function decoderVersion(): string {
  return `sharp ${sharp.versions.sharp ?? '?'} vips ${sharp.versions.vips ?? '?'} libjpeg-turbo ${libjpegTurboVersion}`;
}

/**
 * First 16 hex chars of sha256 over a canonical JSON of the spec, the code version and the decoder build.
 * Same id <=> same tensors for the same image bytes.
 */
export function preprocessingId(spec: PreprocessSpec, decoder: string = decoderVersion()): string {
  const canonical = JSON.stringify({
    code: PREPROCESS_CODE_VERSION,
    crop: spec.crop,
    decoder,
    kernel: spec.kernel,
    mean: [...spec.mean],
    resize: spec.resize,
    std: [...spec.std],
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
