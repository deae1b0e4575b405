/**
 * Decoding costs what the input is, not what it becomes after scaling: extreme strips are cut in source
 * coordinates before resizing, animations decode one frame. Every ordinary photo libvips decodes gives exactly the
 * tensor of code version 1 (tolerance 0: the same libvips operations run on them); the JPEGs that libjpeg-turbo
 * decodes (version 3, jpeg-scaled.ts) are within rounding of it (tolerance stated below).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  DEFAULT_PREPROCESS,
  decodeForViews,
  decodePlan,
  decoderVersion,
  PREPROCESS_CODE_VERSION,
  iccBytes,
  MAX_WINDOW_ASPECT,
  preprocessingId,
  readHeaderSize,
  sniffImage,
  toTensor,
  type PreprocessSpec,
  type RawImage,
} from '../../../ml/preprocess/index.ts';
import { takesJpegPath } from '../../../ml/preprocess/jpeg-scaled.ts';
import { miniDataDir } from '../../helpers/paths.ts';

const spec = DEFAULT_PREPROCESS;

/** The decode of PREPROCESS_CODE_VERSION 1, kept verbatim as the reference. */
async function oldDecode(input: Buffer, s: PreprocessSpec): Promise<RawImage> {
  const out = await sharp(input, { autoOrient: true, failOn: 'error', sequentialRead: true })
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace('srgb')
    .resize(s.resize, s.resize, { fit: 'outside', kernel: s.kernel, fastShrinkOnLoad: false })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { width: out.info.width, height: out.info.height, data: out.data };
}

function miniPhotos(): string[] {
  const root = path.join(miniDataDir, 'images');
  return fs.readdirSync(root).sort().flatMap((c) => fs.readdirSync(path.join(root, c)).sort().map((f) => path.join(root, c, f)));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

const strip = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 60, b: 20 } } }).png().toBuffer();

describe('bounded decoding', () => {
  it('plans ordinary photos as before (whole image, no shrink-on-load) and cuts extreme strips to a window', () => {
    for (const [w, h] of [[512, 384], [384, 512], [512, 231], [1, 1], [300, 1000]] as const) {
      const plan = decodePlan(w, h, spec);
      assert.equal(plan.extract, undefined, `${w}x${h}`);
      assert.equal(plan.shrinkOnLoad, false, `${w}x${h}`);
    }
    assert.equal(decodePlan(6000, 4000, spec).shrinkOnLoad, true);
    const maxPixels = MAX_WINDOW_ASPECT * spec.resize * spec.resize;
    for (const [w, h] of [[20000, 2], [2, 20000], [20000, 1], [1, 20000], [16383, 3], [5000, 1000]] as const) {
      const plan = decodePlan(w, h, spec);
      assert.ok(plan.extract, `${w}x${h} is cut`);
      assert.ok(plan.outputPixels <= maxPixels, `${w}x${h}: ${plan.outputPixels} pixels`);
      const e = plan.extract;
      assert.ok(e.left >= 0 && e.top >= 0 && e.left + e.width <= w && e.top + e.height <= h, `${w}x${h}: region inside the source`);
      assert.equal(Math.min(plan.resizeTo!.width, plan.resizeTo!.height), spec.resize);
    }
  });

  it('gives every mini-set photo the tensor of version 1: exactly through libvips, within rounding through libjpeg', async () => {
    const files = miniPhotos();
    assert.ok(files.length >= 1000);
    const crop = spec.crop * spec.crop;
    const diffs = await mapLimit(files, 4, async (file) => {
      const bytes = fs.readFileSync(file);
      const header = readHeaderSize(bytes, 'jpeg')!;
      const viaDct = takesJpegPath({ ...header, iccBytes: iccBytes(bytes, 'jpeg') }, decodePlan(header.width, header.height, spec), spec);
      const [a, b] = await Promise.all([oldDecode(bytes, spec), decodeForViews(bytes, spec)]);
      const ta = toTensor(a, spec);
      const tb = toTensor(b, spec);
      // Mean absolute difference of the centre crops in 8-bit levels (the tensor is (v/255 - mean) / std).
      let levels = 0;
      for (let i = 0; i < ta.length; i++) levels += Math.abs(ta[i]! - tb[i]!) * spec.std[Math.floor(i / crop)]! * 255;
      levels /= ta.length;
      const sizeOk = a.width === b.width && a.height === b.height;
      return { file, viaDct, levels, sizeOk };
    });
    const libvips = diffs.filter((d) => !d.viaDct);
    const dct = diffs.filter((d) => d.viaDct);
    // The mini set: 957 of 1,010 photos are upright sRGB JPEGs; the rest carry an ICC profile.
    assert.ok(dct.length > 900 && libvips.length > 20, `${dct.length} via the DCT, ${libvips.length} via libvips`);
    assert.deepEqual(libvips.filter((d) => d.levels !== 0 || !d.sizeOk).map((d) => d.file), [], 'libvips photos whose tensor changed');
    assert.deepEqual(dct.filter((d) => !d.sizeOk).map((d) => d.file), [], 'the same size as libvips gives');
    // Measured: median 0.16 levels of 255, p99 0.79, max 1.63 (the same triangle filter, float vs fixed point).
    const sorted = dct.map((d) => d.levels).sort((x, y) => x - y);
    assert.ok(sorted[sorted.length >> 1]! < 0.4, `median ${sorted[sorted.length >> 1]!.toFixed(2)} levels`);
    assert.deepEqual(dct.filter((d) => d.levels > 3).map((d) => `${d.file}: ${d.levels.toFixed(2)}`), []);
    assert.ok(sorted[0]! > 0, 'the libjpeg path is not a copy of libvips');
  });

  it('has a new preprocessing id: features cached by the previous code are recomputed, never mixed', () => {
    // The ids of code versions 1 and 2, computed as id.ts did then (README.md records them).
    const before = (code: number) =>
      createHash('sha256')
        .update(JSON.stringify({ code, crop: spec.crop, decoder: `sharp ${sharp.versions.sharp} vips ${sharp.versions.vips}`, kernel: spec.kernel, mean: [...spec.mean], resize: spec.resize, std: [...spec.std] }))
        .digest('hex')
        .slice(0, 16);
    assert.equal(PREPROCESS_CODE_VERSION, 3);
    assert.match(decoderVersion(), /libjpeg-turbo \d+\.\d+/);
    assert.match(preprocessingId(spec), /^[0-9a-f]{16}$/);
    assert.notEqual(preprocessingId(spec), before(1));
    assert.notEqual(preprocessingId(spec), before(2));
  });

  it('decodes 20000x2 and 2x20000 PNGs into a bounded window, fast and without a memory spike', async () => {
    for (const [w, h] of [[20000, 2], [2, 20000], [16000, 1]] as const) {
      const png = await strip(w, h);
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const raw = await decodeForViews(png, spec);
      const ms = performance.now() - t0;
      const grew = (process.memoryUsage().rss - rss0) / 1e6;
      assert.equal(Math.min(raw.width, raw.height), spec.resize, `${w}x${h}`);
      assert.ok(Math.max(raw.width, raw.height) <= MAX_WINDOW_ASPECT * spec.resize, `${w}x${h}: ${raw.width}x${raw.height}`);
      // The old path made 655 M pixels (2 GB) of these; the window is ~0.26 M.
      assert.ok(grew < 100, `${w}x${h}: RSS grew ${grew.toFixed(0)} MB`);
      assert.ok(ms < 2000, `${w}x${h}: ${ms.toFixed(0)} ms`);
      const t = toTensor(raw, spec);
      // A flat colour stays that colour wherever it is cut.
      assert.ok(Math.abs(t[0]! - (200 / 255 - spec.mean[0]) / spec.std[0]) < 0.02);
    }
  });

  it('applies EXIF orientation before cutting (the window is in upright coordinates)', async () => {
    // 3 x 9000 stored, orientation 6: upright it is 9000 x 3, a wide strip.
    const bytes = await sharp({ create: { width: 3, height: 9000, channels: 3, background: '#3080f0' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const raw = await decodeForViews(bytes, spec);
    assert.equal(raw.height, spec.resize);
    assert.ok(raw.width > raw.height && raw.width <= MAX_WINDOW_ASPECT * spec.resize);
  });

  it('reads only the first frame of an animated WebP', async () => {
    const frame = 64;
    const raw = Buffer.alloc(frame * frame * 3 * 2);
    for (let i = 0; i < frame * frame; i++) raw[i * 3] = 255; // frame 1 red, frame 2 black
    const anim = await sharp(raw, { raw: { width: frame, height: frame * 2, channels: 3, pageHeight: frame } }).webp({ lossless: true, loop: 0 }).toBuffer();
    assert.equal((await sharp(anim, { animated: true }).metadata()).pages, 2);
    const out = await decodeForViews(anim, spec);
    assert.equal(out.width, spec.resize);
    assert.equal(out.height, spec.resize, 'one frame, not the frames stacked');
    assert.ok(out.data[0]! > 200 && out.data[1]! < 50, 'the first (red) frame');
  });

  it('sizes embedded ICC profiles from the header (photos with one in the mini set)', async () => {
    let seen = 0;
    for (const file of miniPhotos().slice(0, 400)) {
      const bytes = fs.readFileSync(file);
      const meta = await sharp(bytes).metadata();
      const n = iccBytes(bytes, sniffImage(bytes)!);
      if (!meta.icc) {
        assert.equal(n, 0, file);
        continue;
      }
      seen++;
      // APP2 segments carry the profile plus 16 bytes of header each (a profile over 64 KB spans several).
      assert.ok(n >= meta.icc.length && n <= meta.icc.length + 16 * Math.ceil(meta.icc.length / 65519), `${file}: ${n} vs ${meta.icc.length}`);
    }
    assert.ok(seen > 0, 'some photos carry an ICC profile');
  });
});
