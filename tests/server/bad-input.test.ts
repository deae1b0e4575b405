/**
 * The bad-input corpus, generated here: every upload gets a JSON answer with the right status, nothing is ever
 * a 500, no SVG is rendered (its external URL is never fetched), and the service still answers afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, test, before, after } from 'node:test';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { staticModelSource } from '../../server/model-source.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { getJson, json, postFiles, rawRequest, startTestApp, tinyVersion, type Part, type TestServer } from './fixtures.ts';

const photo = fs.readFileSync(path.join(miniDataDir, 'images/pizza', fs.readdirSync(path.join(miniDataDir, 'images/pizza')).sort()[0]!));

/** A valid PNG whose IHDR claims width x height (CRC fixed, so only the size is a lie). */
async function forgedPng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c84' } }).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}

function expectError(res: { status: number; headers: Headers | http.IncomingHttpHeaders; body: any }, status: number, code?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(typeof res.body, 'object', `expected a JSON body, got ${String(res.body).slice(0, 80)}`);
  assert.equal(res.body.error.status, status);
  assert.equal(typeof res.body.error.message, 'string');
  assert.ok(res.body.error.message.length > 10);
  if (code) assert.equal(res.body.error.code, code);
}

describe('bad input corpus', () => {
  let srv: TestServer;
  let svgHits = 0;
  let bait: http.Server;
  let baitUrl = '';
  const cleanups: (() => unknown)[] = [];
  const ctx = { after: (fn: () => unknown) => void cleanups.push(fn) };

  before(async () => {
    bait = http.createServer((_req, res) => {
      svgHits++;
      res.end('<svg/>');
    });
    await new Promise<void>((r) => bait.listen(0, '127.0.0.1', r));
    baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}/x.png`;
    const dir = tempDir(ctx);
    const v1 = tinyVersion(path.join(dir, 'v1'), 1, ['a', 'b', 'c'], 0);
    srv = await startTestApp(ctx, { source: staticModelSource('food101', [v1], { champion: 1 }), maxBodyBytes: 2 * 1024 * 1024 });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
    await new Promise((r) => bait.close(r));
  });

  const predict = (parts: Part[]) => postFiles(`${srv.url}/predict`, parts);
  const file = (data: Uint8Array | string, filename = 'photo.jpg', type = 'image/jpeg'): Part => ({ field: 'file', data, filename, type });

  test('a normal JPEG is classified (baseline)', async () => {
    const res = await predict([file(photo)]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.predictions[0].class, 'a');
  });

  test('truncated JPEG -> 422', async () => {
    expectError(await predict([file(photo.subarray(0, Math.floor(photo.length / 2)))]), 422, 'IMAGE_CORRUPT');
  });

  test('PNG magic followed by garbage -> 422', async () => {
    const junk = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    expectError(await predict([file(junk, 'x.png', 'image/png')]), 422, 'IMAGE_CORRUPT');
  });

  test('zero-byte file -> 400', async () => {
    expectError(await predict([file(Buffer.alloc(0))]), 400, 'EMPTY_FILE');
  });

  test('plain text, HTML and a PDF header, declared as JPEG -> 415', async () => {
    for (const body of ['just some words about pizza\n', '<!DOCTYPE html><html><body><img src=x></body></html>', '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj']) {
      const res = await predict([file(body, 'photo.jpg', 'image/jpeg')]);
      expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('SVG -> 415, never rendered, its URL never fetched', async () => {
    const svg = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><image href="${baitUrl}" xlink:href="${baitUrl}" width="64" height="64"/></svg>`;
    const res = await predict([file(svg, 'food.svg', 'image/svg+xml')]);
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(res.body.error.message, /SVG/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(svgHits, 0);
  });

  test('animated GIF -> 415', async () => {
    const frame = (c: string) => sharp({ create: { width: 8, height: 8, channels: 3, background: c } }).png().toBuffer();
    const gif = await sharp([await frame('#f00'), await frame('#0f0')], { join: { animated: true } }).gif().toBuffer();
    assert.equal((await sharp(gif).metadata()).pages, 2);
    const res = await predict([file(gif, 'anim.gif', 'image/gif')]);
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    assert.match(res.body.error.message, /GIF/);
  });

  test('PNG header claiming 30000x30000 -> 413 before decoding', async () => {
    expectError(await predict([file(await forgedPng(30000, 30000), 'big.png', 'image/png')]), 413, 'IMAGE_TOO_LARGE');
  });

  test('PNG header claiming 7000x7000 (under libvips default, over our 40 MP) -> 413', async () => {
    const res = await predict([file(await forgedPng(7000, 7000), 'big.png', 'image/png')]);
    expectError(res, 413, 'IMAGE_TOO_LARGE');
    assert.match(res.body.error.message, /7000x7000/);
  });

  for (const [name, make, type] of [
    ['1x1 PNG', () => sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer(), 'image/png'],
    ['CMYK JPEG', () => sharp(photo).toColourspace('cmyk').jpeg().toBuffer(), 'image/jpeg'],
    ['16-bit PNG', () => sharp(photo).toColourspace('rgb16').png().toBuffer(), 'image/png'],
    ['grayscale JPEG', () => sharp(photo).grayscale().jpeg().toBuffer(), 'image/jpeg'],
    ['RGBA PNG', () => sharp(photo).ensureAlpha(0.5).png().toBuffer(), 'image/png'],
    ['WebP', () => sharp(photo).webp().toBuffer(), 'image/webp'],
    ['EXIF-rotated JPEG', () => sharp(photo).resize(64, 32).jpeg().withMetadata({ orientation: 6 }).toBuffer(), 'image/jpeg'],
    ['PNG declared as image/gif named .gif', () => sharp(photo).png().toBuffer(), 'image/gif'],
  ] as const) {
    test(`${name} -> 200`, async () => {
      const bytes = await make();
      const res = await predict([file(bytes, 'upload.bin', type)]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.predictions.length, 3);
    });
  }

  test('CMYK and 16-bit inputs really are what the test claims', async () => {
    assert.equal((await sharp(await sharp(photo).toColourspace('cmyk').jpeg().toBuffer()).metadata()).space, 'cmyk');
    assert.equal((await sharp(await sharp(photo).toColourspace('rgb16').png().toBuffer()).metadata()).depth, 'ushort');
  });

  test('body over the limit with Content-Length -> 413 before reading it', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 1);
    const boundary = 'xxBOUNDARYxx';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, big, tail]);
    const res = await rawRequest(`${srv.url}/predict`, {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
      body: async function* () {
        for (let i = 0; i < body.length; i += 64 * 1024) yield body.subarray(i, i + 64 * 1024);
      },
    });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('streamed (chunked) body over the limit -> 413 while streaming', async () => {
    const boundary = 'yyBOUNDARYyy';
    let sent = 0;
    const res = await rawRequest(`${srv.url}/predict`, {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      body: async function* () {
        yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n`);
        // Up to 64 MB, but the server must answer long before that.
        for (let i = 0; i < 1024; i++) {
          sent += 64 * 1024;
          yield Buffer.alloc(64 * 1024, 2);
          await new Promise((r) => setImmediate(r));
        }
      },
    });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    assert.ok(sent < 32 * 1024 * 1024, `sent ${sent} bytes before the answer`);
  });

  test("missing 'file' field (only a text field) -> 400", async () => {
    expectError(await predict([{ field: 'note', data: 'hello' }]), 400, 'MISSING_FILE');
  });

  test("wrong field name ('image') -> 400 naming the field found", async () => {
    const res = await predict([{ field: 'image', data: photo, filename: 'a.jpg', type: 'image/jpeg' }]);
    expectError(res, 400, 'MISSING_FILE');
    assert.match(res.body.error.message, /'image'/);
  });

  test('malformed multipart: truncated body, no boundary, garbage -> 400', async () => {
    const boundary = 'zzBOUNDARYzz';
    const cases: [string, Buffer][] = [
      [`multipart/form-data; boundary=${boundary}`, Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8\xff\xe0partial`)],
      ['multipart/form-data', Buffer.from('no boundary at all')],
      [`multipart/form-data; boundary=${boundary}`, Buffer.from('complete garbage without any boundary line')],
      [`multipart/form-data; boundary=${boundary}`, Buffer.from(`--${boundary}\r\nthis is not a header\r\n\r\nbody\r\n--${boundary}--\r\n`)],
    ];
    for (const [type, body] of cases) {
      const res = await rawRequest(`${srv.url}/predict`, { headers: { 'content-type': type, 'content-length': body.length }, body });
      assert.ok(res.status === 400, `${type} / ${body.toString('latin1').slice(0, 40)}: ${res.status} ${JSON.stringify(res.body)}`);
      expectError(res, 400);
    }
  });

  test('not multipart at all (raw JPEG body) -> 400', async () => {
    const res = await rawRequest(`${srv.url}/predict`, { headers: { 'content-type': 'image/jpeg', 'content-length': photo.length }, body: photo });
    expectError(res, 400, 'MULTIPART_REQUIRED');
  });

  test('two files on /predict -> 400 pointing at /predict/batch', async () => {
    const res = await predict([file(photo), file(photo)]);
    expectError(res, 400, 'TOO_MANY_FILES');
  });

  test('the service still answers after the corpus, and nothing was a 500', async () => {
    const health = await fetch(`${srv.url}/health`);
    assert.equal(health.status, 200);
    assert.equal((await json(health)).status, 'ok');
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /status="5\d\d"/);
    assert.ok(!srv.logs.some((l) => l.startsWith('error')), srv.logs.join('\n'));
    const ok = await predict([file(photo)]);
    assert.equal(ok.status, 200);
  });
});
