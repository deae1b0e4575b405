import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { computeImageStats, imageStatsOf, laplacianVariance, readImageSource } from '../../../ml/monitoring/image-stats.ts';
import { DEFAULT_PREPROCESS, decodeForViews, imageStats } from '../../../ml/preprocess/index.ts';
import { miniDataDir } from '../../helpers/paths.ts';

const src = { format: 'raw', byteSize: 0, width: 0, height: 0 };
const image = (w: number, h: number, px: (x: number, y: number) => [number, number, number]) => {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(px(x, y), (y * w + x) * 3);
  return { width: w, height: h, data };
};
const pizza = () => {
  const dir = path.join(miniDataDir, 'images', 'pizza');
  return fs.readFileSync(path.join(dir, fs.readdirSync(dir).sort()[0]!));
};

describe('computeImageStats', () => {
  it('a flat colour has its channel means, no spread, its saturation, and zero sharpness', () => {
    const s = computeImageStats(image(128, 96, () => [255, 128, 0]), src);
    assert.equal(s.meanR, 1);
    assert.ok(Math.abs(s.meanG - 128 / 255) < 1e-12);
    assert.equal(s.meanB, 0);
    assert.equal(s.stdR + s.stdG + s.stdB + s.contrast, 0);
    assert.equal(s.saturation, 1); // (max - min) / max = (255 - 0) / 255
    assert.equal(s.sharpness, 0);
    assert.deepEqual([s.darkShare, s.brightShare], [0, 0]); // luma 0.2126 + 0.7152 * 0.502 = 0.57
  });

  it('a two-colour checkerboard has known mean and standard deviation', () => {
    const s = computeImageStats(image(64, 64, (x, y) => ((x + y) % 2 ? [200, 200, 200] : [0, 0, 0])), src);
    assert.ok(Math.abs(s.meanR - 100 / 255) < 1e-12);
    assert.ok(Math.abs(s.stdR - 100 / 255) < 1e-12); // half 0, half 200: sd = 100
    assert.ok(Math.abs(s.brightness - 100 / 255) < 1e-9);
    assert.equal(s.saturation, 0);
    assert.deepEqual([s.darkShare, s.brightShare], [0.5, 0]); // luma 0 (dark) and 200/255 = 0.78 (neither)
  });

  it('agrees with the preprocessing module on brightness and contrast', async () => {
    const raw = await decodeForViews(pizza(), DEFAULT_PREPROCESS);
    const ours = computeImageStats(raw, src);
    const theirs = imageStats(raw);
    assert.ok(Math.abs(ours.brightness - theirs.meanBrightness) < 1e-12);
    assert.ok(Math.abs(ours.contrast - theirs.contrast) < 1e-12);
  });

  it('darkening scales brightness and contrast, keeps saturation, and lowers sharpness; inverting mirrors the means', async () => {
    const photo = pizza();
    const base = await imageStatsOf(photo, DEFAULT_PREPROCESS);
    const dark = await imageStatsOf(await sharp(photo).linear(0.4, 0).jpeg().toBuffer(), DEFAULT_PREPROCESS);
    const neg = await imageStatsOf(await sharp(photo).negate().jpeg().toBuffer(), DEFAULT_PREPROCESS);
    assert.ok(Math.abs(dark.brightness / base.brightness - 0.4) < 0.03, `brightness ratio ${dark.brightness / base.brightness}`);
    assert.ok(Math.abs(dark.contrast / base.contrast - 0.4) < 0.05);
    assert.ok(Math.abs(dark.saturation - base.saturation) < 0.05);
    assert.ok(dark.sharpness < base.sharpness * 0.3);
    assert.ok(dark.darkShare > base.darkShare && dark.brightShare <= base.brightShare);
    assert.ok(Math.abs(neg.darkShare - base.brightShare) < 0.02 && Math.abs(neg.brightShare - base.darkShare) < 0.02, 'inversion swaps crushed shadows and blown highlights');
    for (const k of ['meanR', 'meanG', 'meanB'] as const) assert.ok(Math.abs(neg[k] - (1 - base[k])) < 0.02, `${k}: ${neg[k]} vs 1 - ${base[k]}`);
    assert.equal(base.format, 'jpeg');
    assert.equal(base.byteSize, photo.length);
    const meta = await sharp(photo).metadata();
    assert.deepEqual([base.width, base.height], [meta.width, meta.height]);
  });

  // The measure works on a ~64-px thumbnail of the 256-px decode (8x below a 512-px upload), so it sees blur at
  // that scale: a Gaussian of sigma 8 px on the upload is about 1 px on the thumbnail.
  it('a blurred photo is less sharp than the original', async () => {
    const photo = pizza();
    const base = await imageStatsOf(photo, DEFAULT_PREPROCESS);
    const blur = await imageStatsOf(await sharp(photo).blur(8).jpeg().toBuffer(), DEFAULT_PREPROCESS);
    assert.ok(blur.sharpness < base.sharpness * 0.5, `${blur.sharpness} vs ${base.sharpness}`);
  });

  it('rejects a buffer shorter than its dimensions', () => {
    assert.throws(() => computeImageStats({ width: 10, height: 10, data: new Uint8Array(10) }, src), /10x10 has 10 bytes/);
  });
});

describe('laplacianVariance', () => {
  it('is zero on a linear ramp and positive on an impulse', () => {
    const ramp = new Float64Array(25).map((_, i) => i % 5);
    assert.equal(laplacianVariance(ramp, 5, 5), 0);
    const imp = new Float64Array(25);
    imp[12] = 1; // centre of 5x5: interior 3x3 Laplacian = [0,1,0;1,-4,1;0,1,0] -> mean 0, mean square (16 + 4) / 9
    assert.ok(Math.abs(laplacianVariance(imp, 5, 5) - 20 / 9) < 1e-12);
  });
});

describe('readImageSource', () => {
  it('reads format and size from the header', async () => {
    const png = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#808080' } }).png().toBuffer();
    assert.deepEqual(await readImageSource(png), { format: 'png', byteSize: png.length, width: 30, height: 20 });
  });
});
