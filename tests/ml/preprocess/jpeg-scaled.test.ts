/**
 * The JPEG path (native/jpeg + jpeg-scaled.ts): DCT-scaled decoding, what it refuses and how it is bounded, and
 * when decodeForViews takes it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { DEFAULT_PREPROCESS, decodeForViews, decodePlan, iccBytes, ImageDecodeError, readHeaderSize } from '../../../ml/preprocess/index.ts';
import { jpegScaleEighths, outsideFit, takesJpegPath } from '../../../ml/preprocess/jpeg-scaled.ts';
import type * as JpegAddon from 'food101-jpeg';
import { miniDataDir } from '../../helpers/paths.ts';

const jpeg = createRequire(import.meta.url)('food101-jpeg') as typeof JpegAddon;
const spec = DEFAULT_PREPROCESS;
const photo = (cls: string, i = 0) => {
  const dir = path.join(miniDataDir, 'images', cls);
  return fs.readFileSync(path.join(dir, fs.readdirSync(dir).sort()[i]!));
};
const mad = (a: Uint8Array, b: Uint8Array) => {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};
async function rejects(p: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(p, (err: Error & { code?: string }) => {
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}
/** A noisy 4000x3000 photo-sized JPEG (noise keeps the entropy-coded data large). */
async function bigJpeg(progressive: boolean): Promise<Buffer> {
  const w = 2000, h = 1500;
  const px = Buffer.alloc(w * h * 3);
  let s = 12345;
  for (let i = 0; i < px.length; i++) px[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).resize(4000, 3000).jpeg({ quality: 90, progressive, chromaSubsampling: '4:4:4' }).toBuffer();
}

describe('JPEG decoding with DCT scaling', () => {
  it('shrinks in the DCT only while at least a factor of two is left for the triangle filter', () => {
    assert.equal(jpegScaleEighths(512, 512, spec), 8); // every Food-101 photo: decoded whole, then 2x
    assert.equal(jpegScaleEighths(512, 384, spec), 8);
    assert.equal(jpegScaleEighths(1024, 1024, spec), 4); // -> 512, then 2x
    assert.equal(jpegScaleEighths(4000, 3000, spec), 2); // -> 1000x750, then 2.9x
    assert.equal(jpegScaleEighths(8000, 6000, spec), 1);
    assert.equal(jpegScaleEighths(300, 256, spec), 8);
    assert.equal(jpegScaleEighths(255, 600, spec), undefined, 'upscaling is left to libvips');
    assert.deepEqual(outsideFit(512, 384, 256), { width: 341, height: 256 });
    assert.deepEqual(outsideFit(300, 1000, 256), { width: 256, height: 853 });
  });

  it("resamples a 512-px photo to within rounding of libvips' linear kernel", async () => {
    const bytes = photo('pizza');
    const ours = await jpeg.decode(bytes, { resizeWidth: 256, resizeHeight: 256 });
    assert.deepEqual([ours.width, ours.height, ours.data.length], [256, 256, 256 * 256 * 3]);
    const libvips = await sharp(bytes).resize(256, 256, { kernel: 'linear', fastShrinkOnLoad: false }).raw().toBuffer();
    const d = mad(ours.data, libvips);
    // Measured 0.16 levels of 255 on this photo (median of the mini set 0.16, max 1.6).
    assert.ok(d < 0.5, `mean abs diff ${d.toFixed(3)} levels`);
    // Without the resample it is the full-size decode.
    const full = await jpeg.decode(bytes);
    assert.deepEqual([full.width, full.height], [512, 512]);
  });

  it('decodes a large photo at 1/4 in the DCT close to a full decode resampled', async () => {
    const big = await sharp(photo('steak')).resize(2048, 1536, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
    const quarter = await jpeg.decode(big, { scaleEighths: 2 });
    assert.deepEqual([quarter.width, quarter.height], [512, 384]);
    const viaDct = await jpeg.decode(big, { scaleEighths: 2, resizeWidth: 341, resizeHeight: 256 });
    const viaFull = await jpeg.decode(big, { resizeWidth: 341, resizeHeight: 256 });
    const d = mad(viaDct.data, viaFull.data);
    assert.ok(d < 2, `mean abs diff ${d.toFixed(2)} levels`);
  });

  it('gives three equal channels for a grayscale JPEG', async () => {
    const gray = await sharp(photo('sushi')).greyscale().jpeg().toBuffer();
    const out = await jpeg.decode(gray, { scaleEighths: 4 });
    for (let i = 0; i < out.data.length; i += 3 * 97) assert.ok(out.data[i] === out.data[i + 1] && out.data[i] === out.data[i + 2]);
  });

  it('refuses what is not a JPEG, truncated data and CMYK, each with its code', async () => {
    const bytes = photo('steak');
    await rejects(jpeg.decode(Buffer.from('definitely not a jpeg')), 'JPEG_CORRUPT', /Not a JPEG file/);
    await rejects(jpeg.decode(bytes.subarray(0, Math.floor(bytes.length * 0.6))), 'JPEG_CORRUPT', /truncated/);
    const cmyk = await sharp(bytes).toColourspace('cmyk').jpeg().toBuffer();
    await rejects(jpeg.decode(cmyk), 'JPEG_UNSUPPORTED', /components/);
  });

  it('is bounded: scans, working memory, output size and a deadline that stops libjpeg itself', async () => {
    const progressive = await sharp(photo('bibimbap')).jpeg({ progressive: true }).toBuffer();
    await rejects(jpeg.decode(progressive, { maxScans: 2 }), 'JPEG_CORRUPT', /more than 2 progressive scans/);
    const { width } = readHeaderSize(progressive, 'jpeg')!;
    assert.equal((await jpeg.decode(progressive, { scaleEighths: 4 })).width, Math.ceil(width / 2));
    const big = await bigJpeg(true);
    // 4000x3000 progressive 4:4:4 keeps 72 MB of coefficients: refused under a 16 MB cap, decoded with the default.
    await rejects(jpeg.decode(big, { scaleEighths: 1, maxMemoryBytes: 16 * 1024 * 1024 }), 'JPEG_CORRUPT', /working memory/);
    const eighth = await jpeg.decode(big, { scaleEighths: 1 });
    assert.deepEqual([eighth.width, eighth.height], [500, 375]);
    await rejects(jpeg.decode(big, { maxOutputPixels: 1_000_000 }), 'JPEG_TOO_LARGE', /4000x3000/);
    const baseline = await bigJpeg(false);
    let t0 = performance.now();
    await jpeg.decode(baseline);
    const whole = performance.now() - t0;
    t0 = performance.now();
    await rejects(jpeg.decode(baseline, { timeoutMs: 1 }), 'JPEG_TIMEOUT', /longer than 1 ms/);
    const stopped = performance.now() - t0;
    assert.ok(stopped < whole / 3, `stopped after ${stopped.toFixed(1)} ms; the whole decode takes ${whole.toFixed(1)} ms`);
  });

  it('is what decodeForViews uses for upright sRGB JPEGs, and libvips decodes the rest', async () => {
    const bytes = photo('pizza');
    const header = readHeaderSize(bytes, 'jpeg')!;
    const input = { width: header.width, height: header.height, orientation: header.orientation, iccBytes: iccBytes(bytes, 'jpeg') };
    assert.ok(takesJpegPath(input, decodePlan(input.width, input.height, spec), spec));
    const viaViews = await decodeForViews(bytes, spec);
    const target = outsideFit(input.width, input.height, spec.resize);
    const direct = await jpeg.decode(bytes, { scaleEighths: jpegScaleEighths(input.width, input.height, spec)!, resizeWidth: target.width, resizeHeight: target.height });
    assert.deepEqual([viaViews.width, viaViews.height], [direct.width, direct.height]);
    assert.equal(Buffer.compare(Buffer.from(viaViews.data), direct.data), 0);
    // Not taken: rotated, with an ICC profile, a strip, too small.
    assert.equal(takesJpegPath({ ...input, orientation: 6 }, decodePlan(512, 512, spec), spec), false);
    assert.equal(takesJpegPath({ ...input, iccBytes: 3144 }, decodePlan(512, 512, spec), spec), false);
    assert.equal(takesJpegPath({ ...input, width: 5000, height: 300 }, decodePlan(5000, 300, spec), spec), false);
    assert.equal(takesJpegPath({ ...input, width: 200, height: 300 }, decodePlan(200, 300, spec), spec), false);
    // The decode's own limits hold on this path too: the pixel limit, and a deadline that says it timed out.
    await assert.rejects(decodeForViews(bytes, spec, { limitInputPixels: 1000 }), (err: Error) => err instanceof ImageDecodeError && /over the limit of 1000/.test(err.message));
    const big = await bigJpeg(false);
    await assert.rejects(decodeForViews(big, spec, { timeoutSeconds: 0.001 }), (err: Error) => err instanceof ImageDecodeError && err.timedOut);
    // A CMYK JPEG passes the checks, the addon refuses it, and libvips converts it.
    const cmyk = await sharp(bytes).toColourspace('cmyk').jpeg().toBuffer();
    const fromCmyk = await decodeForViews(cmyk, spec);
    assert.deepEqual([fromCmyk.width, fromCmyk.height], [256, 256]);
  });
});
