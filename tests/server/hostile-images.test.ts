/**
 * Images built to be expensive: extreme strips (tiny files whose shorter side scaled to 256 would be 655 M pixels),
 * pixel bombs in every format, and a deadline that really frees what the request held.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { staticModelSource } from '../../server/model-source.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { IMAGENET_SPEC, postFiles, startTestApp, tinyClassifier, writeModelDir, type Cleanup } from './fixtures.ts';

const DEADLINE_MS = 3000;
const labels = ['a', 'b', 'c'];

/** A fast model with the real 256 -> 224 preprocessing, so decoding costs what it costs in production. */
function app(t: Cleanup, extra: Record<string, unknown> = {}) {
  const v = writeModelDir(tempDir(t, 'f101-hostile-'), 1, { model: tinyClassifier([1, 2, 3], 224), labels, spec: IMAGENET_SPEC });
  return startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), deadlineMs: DEADLINE_MS, ...extra });
}

const flat = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 90 } } });
const rssMb = () => process.memoryUsage().rss / 1e6;

describe('hostile images', () => {
  it('answers a 20000x2 and a 2x20000 PNG with 200 within the deadline, without a memory spike', async (t) => {
    const { url } = await app(t);
    for (const [w, h] of [[20000, 2], [2, 20000]] as const) {
      const png = await flat(w, h).png().toBuffer();
      const rss0 = rssMb();
      const t0 = performance.now();
      const res = await postFiles(`${url}/predict`, [{ field: 'file', data: png, filename: 'strip.png' }]);
      const ms = performance.now() - t0;
      assert.equal(res.status, 200, `${w}x${h}: ${JSON.stringify(res.body)}`);
      assert.ok(ms < DEADLINE_MS, `${w}x${h} took ${ms.toFixed(0)} ms`);
      assert.ok(rssMb() - rss0 < 150, `${w}x${h}: RSS grew ${(rssMb() - rss0).toFixed(0)} MB`);
    }
  });

  it('refuses pixel bombs by their header with 413, per format cost', async (t) => {
    const { url } = await app(t);
    const cases: [string, Buffer][] = [
      // 25 MP: fine as a baseline JPEG (it shrinks while decoding), too many pixels for PNG/WebP/progressive JPEG.
      ['PNG 5000x5000', await flat(5000, 5000).png({ compressionLevel: 9 }).toBuffer()],
      ['WebP 5000x5000', await flat(5000, 5000).webp({ quality: 10 }).toBuffer()],
      ['progressive JPEG 5000x5000', await flat(5000, 5000).jpeg({ progressive: true, quality: 10 }).toBuffer()],
    ];
    for (const [name, bytes] of cases) {
      const res = await postFiles(`${url}/predict`, [{ field: 'file', data: bytes, filename: 'bomb' }]);
      assert.equal(res.status, 413, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'IMAGE_TOO_LARGE');
      assert.match(res.body.error.message, /megapixels/);
    }
    const jpeg = await flat(5000, 5000).jpeg({ quality: 10 }).toBuffer();
    const t0 = performance.now();
    const res = await postFiles(`${url}/predict`, [{ field: 'file', data: jpeg, filename: 'big.jpg' }]);
    assert.equal(res.status, 200, 'a 25 MP baseline JPEG is served');
    assert.ok(performance.now() - t0 < DEADLINE_MS);
  });

  it('answers 503 DEADLINE_EXCEEDED past the deadline and frees the upload budget and the tensor slot', async (t) => {
    const { url, serve } = await app(t, { deadlineMs: 1 });
    const dir = path.join(miniDataDir, 'images', 'pizza');
    const photo = fs.readFileSync(path.join(dir, fs.readdirSync(dir).sort()[0]!));
    const res = await postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }]);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'DEADLINE_EXCEEDED');
    assert.equal(res.headers.get('retry-after'), '1');
    const model = serve.holder.current('champion')!;
    const until = Date.now() + 3000;
    const slots = model.tensorPool.slots;
    while ((serve.uploads.used > 0 || model.tensorPool.available < slots) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(serve.uploads.used, 0, 'the upload budget is given back once the abandoned decode settled');
    assert.equal(model.tensorPool.available, slots, 'every tensor slot is free again');
    assert.equal(model.batcher.queued, 0);
    assert.equal(serve.processing(), 0);
  });
});
