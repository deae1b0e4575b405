/**
 * Decoding costs what the input is, not what it becomes after scaling: extreme strips are cut in source
 * coordinates before resizing, animations decode one frame, and every ordinary photo gives exactly the tensor the
 * previous code gave (tolerance 0: the same libvips operations run on them).
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
  sniffImage,
  toTensor,
  type PreprocessSpec,
  type RawImage,
} from '../../../ml/preprocess/index.ts';
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

  it('gives every mini-set photo exactly the tensor of the previous code (tolerance 0)', async () => {
    const files = miniPhotos();
    assert.ok(files.length >= 1000);
    const diffs = await mapLimit(files, 4, async (file) => {
      const bytes = fs.readFileSync(file);
      const [a, b] = await Promise.all([oldDecode(bytes, spec), decodeForViews(bytes, spec)]);
      const ta = toTensor(a, spec);
      const tb = toTensor(b, spec);
      let max = a.width === b.width && a.height === b.height ? 0 : Infinity;
      for (let i = 0; i < ta.length && max === 0; i++) max = Math.max(max, Math.abs(ta[i]! - tb[i]!));
      return [file, max] as const;
    });
    const off = diffs.filter(([, d]) => d !== 0);
    assert.deepEqual(off, [], `photos whose tensor changed: ${off.length}`);
  });

  it('has a new preprocessing id: features cached by the previous code are recomputed, never mixed', () => {
    // The id of code version 1, computed as id.ts did (README.md records both).
    const v1 = createHash('sha256')
      .update(JSON.stringify({ code: 1, crop: spec.crop, decoder: decoderVersion(), kernel: spec.kernel, mean: [...spec.mean], resize: spec.resize, std: [...spec.std] }))
      .digest('hex')
      .slice(0, 16);
    assert.equal(PREPROCESS_CODE_VERSION, 2);
    assert.match(preprocessingId(spec), /^[0-9a-f]{16}$/);
    assert.notEqual(preprocessingId(spec), v1);
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
