import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  DEFAULT_PREPROCESS,
  ImageDecodeError,
  decodeForViews,
  imageStats,
  preprocess,
  preprocessViews,
  toTensor,
  viewBox,
  type PreprocessSpec,
  type RawImage,
} from '../../../ml/preprocess/index.ts';
import { miniDataDir } from '../../helpers/paths.ts';

const spec = DEFAULT_PREPROCESS;
const photo = (cls: string, i = 0) => {
  const dir = path.join(miniDataDir, 'images', cls);
  return path.join(dir, fs.readdirSync(dir).sort()[i]!);
};

/** Mean absolute difference of two equally long arrays. */
const mad = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

/** A deterministic colourful test image (gradients + a square), 3 channels, as raw pixels. */
function pattern(width: number, height: number, channels: 3 | 4 = 3): Buffer {
  const buf = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const inSquare = x > width / 4 && x < width / 2 && y > height / 3 && y < (2 * height) / 3;
      buf[i] = inSquare ? 240 : Math.round((x / width) * 255);
      buf[i + 1] = inSquare ? 30 : Math.round((y / height) * 255);
      buf[i + 2] = (x * 7 + y * 3) % 256;
      if (channels === 4) buf[i + 3] = 255;
    }
  }
  return buf;
}
const rawInput = (data: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4) => sharp(data, { raw: { width, height, channels } });

describe('preprocess', () => {
  it('gives the same float32 NCHW tensor of length 3*crop*crop twice for the same photo', async () => {
    const file = photo('pizza');
    const a = await preprocess(file, spec);
    const b = await preprocess(fs.readFileSync(file), spec);
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, 3 * 224 * 224);
    assert.deepEqual(a, b);
    // Values are normalised: roughly within [(0-mean)/std, (1-mean)/std].
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    assert.ok(lo >= -2.2 && hi <= 2.7, `range ${lo}..${hi}`);
  });

  it('resizes the shorter side to `resize` and keeps the aspect ratio', async () => {
    const png = await rawInput(pattern(400, 300), 400, 300, 3).png().toBuffer();
    const raw = await decodeForViews(png, spec);
    assert.equal(raw.height, 256);
    assert.equal(raw.width, Math.round((400 * 256) / 300));
    assert.equal(raw.data.length, raw.width * raw.height * 3);
    const tall = await decodeForViews(await rawInput(pattern(300, 600), 300, 600, 3).png().toBuffer(), spec);
    assert.deepEqual([tall.width, tall.height], [256, 512]);
  });

  it('normalises each channel as (x/255 - mean) / std, channel-major', () => {
    const raw: RawImage = { width: 2, height: 2, data: Uint8Array.from([0, 128, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]) };
    const s: PreprocessSpec = { ...spec, resize: 2, crop: 2 };
    const t = toTensor(raw, s);
    for (let p = 0; p < 4; p++) {
      for (let c = 0; c < 3; c++) {
        const want = (raw.data[p * 3 + c]! / 255 - s.mean[c]!) / s.std[c]!;
        assert.ok(Math.abs(t[c * 4 + p]! - want) < 1e-6, `pixel ${p} channel ${c}`);
      }
    }
  });

  it('turns a grayscale JPEG into three equal channels', async () => {
    const gray = Buffer.alloc(320 * 240);
    for (let i = 0; i < gray.length; i++) gray[i] = (i * 13) % 256;
    const jpeg = await rawInput(gray, 320, 240, 1).toColourspace('b-w').jpeg().toBuffer();
    assert.equal((await sharp(jpeg).metadata()).channels, 1);
    const raw = await decodeForViews(jpeg, spec);
    assert.equal(raw.data.length, raw.width * raw.height * 3);
    for (let i = 0; i < raw.data.length; i += 3) {
      assert.ok(raw.data[i] === raw.data[i + 1] && raw.data[i] === raw.data[i + 2], `pixel ${i / 3} is not gray`);
    }
    assert.equal((await preprocess(jpeg, spec)).length, 3 * 224 * 224);
  });

  it('flattens an RGBA PNG on white', async () => {
    const w = 300;
    const h = 300;
    const rgba = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 4;
        // Left half: fully transparent black; right half: opaque red.
        if (x >= w / 2) (rgba[i] = 255), (rgba[i + 3] = 255);
      }
    }
    const png = await rawInput(rgba, w, h, 4).png().toBuffer();
    assert.equal((await sharp(png).metadata()).hasAlpha, true);
    const raw = await decodeForViews(png, spec);
    const px = (x: number, y: number) => [...raw.data.subarray((y * raw.width + x) * 3, (y * raw.width + x) * 3 + 3)];
    assert.deepEqual(px(20, 128), [255, 255, 255]);
    assert.deepEqual(px(235, 128), [255, 0, 0]);
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const rgb = await sharp(photo('beet_salad')).png().toBuffer();
    const cmyk = await sharp(rgb).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(cmyk).metadata();
    assert.equal(meta.space, 'cmyk');
    assert.equal(meta.channels, 4);
    const fromCmyk = await decodeForViews(cmyk, spec);
    const fromRgb = await decodeForViews(rgb, spec);
    assert.deepEqual([fromCmyk.width, fromCmyk.height], [fromRgb.width, fromRgb.height]);
    // A colour-managed round trip through CMYK is not lossless; it must still be the same picture.
    assert.ok(mad(fromCmyk.data, fromRgb.data) < 12, `mean abs diff ${mad(fromCmyk.data, fromRgb.data)}`);
  });

  it('reduces a 16-bit PNG to the same 8-bit pixels', async () => {
    const rgb = await rawInput(pattern(320, 256), 320, 256, 3).png().toBuffer();
    const png16 = await sharp(rgb).toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(png16).metadata()).depth, 'ushort');
    const a = await decodeForViews(png16, spec);
    const b = await decodeForViews(rgb, spec);
    assert.deepEqual([a.width, a.height], [b.width, b.height]);
    assert.ok(mad(a.data, b.data) < 1, `mean abs diff ${mad(a.data, b.data)}`);
  });

  it('applies the EXIF orientation', async () => {
    // The same photo stored upright, and stored turned 90° counter-clockwise with orientation 6 ("rotate 90° CW").
    const upright = await sharp(photo('sushi')).resize(400, 296, { fit: 'fill' }).png().toBuffer();
    const plain = await sharp(upright).jpeg({ quality: 95 }).toBuffer();
    const turned = await sharp(upright).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(turned).metadata();
    assert.deepEqual([meta.width, meta.height, meta.orientation], [296, 400, 6]);
    const a = await preprocess(plain, spec);
    const b = await preprocess(turned, spec);
    const ignoringExif = toTensor(await decodeForViewsIgnoringOrientation(turned), spec);
    const diff = mad(a, b);
    assert.ok(diff < 0.03, `rotated photo differs from upright by ${diff}`);
    assert.ok(mad(a, ignoringExif) > 10 * diff, 'the fixture does not test rotation');
  });

  it('cuts flip as the mirror of center, and random crops the same for the same seed key', async () => {
    const file = photo('steak');
    const views = await preprocessViews(file, spec, { flip: true, crops: 3 }, 'a'.repeat(64));
    assert.deepEqual(views.map((v) => v.view), ['center', 'flip', 'crop1', 'crop2', 'crop3']);
    const center = views[0]!.data;
    assert.deepEqual(center, await preprocess(file, spec));
    const flip = views[1]!.data;
    const n = 224;
    for (const [c, y, x] of [[0, 0, 0], [1, 17, 200], [2, 223, 5], [0, 100, 111]] as const) {
      assert.equal(flip[c * n * n + y * n + x], center[c * n * n + y * n + (n - 1 - x)]);
    }
    const again = await preprocessViews(file, spec, { flip: false, crops: 3 }, 'a'.repeat(64));
    assert.deepEqual(again.map((v) => v.view), ['center', 'crop1', 'crop2', 'crop3']);
    for (let i = 1; i <= 3; i++) assert.deepEqual(again[i]!.data, views[i + 1]!.data, `crop${i} depends on what else was asked`);
    const other = await preprocessViews(file, spec, { flip: false, crops: 3 }, 'b'.repeat(64));
    assert.notDeepEqual(other[1]!.data, again[1]!.data);
  });

  it('places random crops inside the image, from the seed key and view name only', () => {
    const raw: RawImage = { width: 341, height: 256, data: new Uint8Array(341 * 256 * 3) };
    const boxes = Array.from({ length: 50 }, (_, i) => viewBox(raw, spec, `crop${i + 1}`, 'k1'));
    for (const b of boxes) assert.ok(b.left >= 0 && b.left <= 341 - 224 && b.top >= 0 && b.top <= 256 - 224 && !b.flip);
    assert.ok(new Set(boxes.map((b) => `${b.left},${b.top}`)).size > 20, 'crops are not spread out');
    assert.deepEqual(viewBox(raw, spec, 'crop7', 'k1'), boxes[6]);
    assert.deepEqual(viewBox(raw, spec, 'center', 'k1'), { left: 58, top: 16, flip: false });
    assert.throws(() => viewBox(raw, spec, 'crop0', 'k1'), /unknown view 'crop0'/);
  });

  it('does not depend on sharp concurrency', async () => {
    const file = photo('baklava', 3);
    const before = sharp.concurrency();
    try {
      sharp.concurrency(1);
      const a = await preprocess(file, spec);
      sharp.concurrency(2);
      const b = await preprocess(file, spec);
      assert.deepEqual(a, b);
    } finally {
      sharp.concurrency(before);
    }
  });

  it('rejects what is not an image with ImageDecodeError', async () => {
    await assert.rejects(preprocess(Buffer.from('this is not a picture'), spec), (err: unknown) => err instanceof ImageDecodeError && err.code === 'IMAGE_DECODE');
    await assert.rejects(preprocess('/nonexistent/photo.jpg', spec), /cannot decode image \/nonexistent\/photo\.jpg/);
  });

  it('reports brightness and contrast in 0..1', async () => {
    const flat: RawImage = { width: 4, height: 4, data: new Uint8Array(48).fill(255) };
    const f = imageStats(flat);
    assert.ok(Math.abs(f.meanBrightness - 1) < 1e-9 && Math.abs(f.contrast) < 1e-6);
    const half = new Uint8Array(48);
    half.fill(255, 0, 24);
    const s = imageStats({ width: 4, height: 4, data: half });
    assert.ok(Math.abs(s.meanBrightness - 0.5) < 1e-9 && Math.abs(s.contrast - 0.5) < 1e-9);
    const decoded = await decodeForViews(photo('pizza'), spec);
    const real = imageStats(decoded);
    assert.ok(real.meanBrightness > 0.05 && real.meanBrightness < 0.95 && real.contrast > 0.02);
    // Sampling every 2nd row and column (what the server does) gives the same statistics.
    const sampled = imageStats(decoded, 2);
    assert.ok(Math.abs(sampled.meanBrightness - real.meanBrightness) < 5e-3 && Math.abs(sampled.contrast - real.contrast) < 5e-3);
  });
});

/** decodeForViews without EXIF handling: what a pipeline that forgot `.rotate()` would see. */
async function decodeForViewsIgnoringOrientation(input: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(input).resize(spec.resize, spec.resize, { fit: 'outside', kernel: spec.kernel }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}
