/**
 * The header reader must see exactly what libvips sees: same width, height and orientation as
 * `sharp().metadata()` on every Food-101 photo and on generated PNG/WebP/JPEG variants; unusual structures
 * return undefined (the caller then asks sharp), never a wrong size.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { sniffImage } from '../../server/image-check.ts';
import { readHeaderSize } from '../../ml/preprocess/header.ts';
import { miniDataDir } from '../helpers/paths.ts';

async function agree(name: string, buf: Buffer) {
  const format = sniffImage(buf);
  assert.ok(format, `${name}: not sniffed`);
  const mine = readHeaderSize(buf, format);
  const meta = await sharp(buf).metadata();
  assert.ok(mine, `${name}: header not read`);
  assert.deepEqual({ width: mine.width, height: mine.height, orientation: mine.orientation }, { width: meta.width, height: meta.height, orientation: meta.orientation ?? 1 }, name);
  assert.equal(mine.progressive === true, meta.isProgressive, `${name}: progressive`);
}

test('every Food-101 photo: same size as sharp reads', async () => {
  const root = path.join(miniDataDir, 'images');
  let n = 0;
  for (const cls of fs.readdirSync(root)) {
    for (const f of fs.readdirSync(path.join(root, cls))) {
      await agree(`${cls}/${f}`, fs.readFileSync(path.join(root, cls, f)));
      n++;
    }
  }
  assert.ok(n >= 1000, `only ${n} photos`);
});

test('generated variants: PNG, WebP lossy/lossless/alpha/animated, progressive JPEG, EXIF orientations', async () => {
  const base = sharp({ create: { width: 301, height: 173, channels: 3, background: '#3a7' } });
  const frame = await base.clone().png().toBuffer();
  const cases: [string, Buffer][] = [
    ['png', await base.clone().png().toBuffer()],
    ['png 16-bit', await base.clone().toColourspace('rgb16').png().toBuffer()],
    ['webp lossy', await base.clone().webp().toBuffer()],
    ['webp lossless', await base.clone().webp({ lossless: true }).toBuffer()],
    ['webp alpha', await base.clone().ensureAlpha(0.5).webp().toBuffer()],
    ['webp animated', await sharp([frame, frame], { join: { animated: true } }).webp().toBuffer()],
    ['jpeg progressive', await base.clone().jpeg({ progressive: true }).toBuffer()],
    ['jpeg cmyk', await base.clone().toColourspace('cmyk').jpeg().toBuffer()],
    ['jpeg big', await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#000' } }).jpeg().toBuffer()],
  ];
  for (let o = 1; o <= 8; o++) cases.push([`jpeg orientation ${o}`, await base.clone().jpeg().withMetadata({ orientation: o }).toBuffer()]);
  for (const [name, buf] of cases) await agree(name, buf);
});

test('unusual or broken headers give undefined, not a guess', () => {
  const jpegNoSof = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6]);
  assert.equal(readHeaderSize(jpegNoSof, 'jpeg'), undefined);
  assert.equal(readHeaderSize(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]), 'jpeg'), undefined);
  const pngNoIhdr = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]);
  assert.equal(readHeaderSize(pngNoIhdr, 'png'), undefined);
  assert.equal(readHeaderSize(Buffer.from('RIFF\0\0\0\0WEBPXXXX'), 'webp'), undefined);
});
