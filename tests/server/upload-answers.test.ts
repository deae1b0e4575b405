/**
 * Every upload gets an HTTP answer, never a connection reset: refused bodies (budget full: 503, declared too large:
 * 413) are answered at once with `Connection: close`, and the rest of the body is read and dropped while the client
 * still sends (server/linger.ts), so a client that writes its whole body before it reads still finds the answer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { memoryLogger } from '../../server/logger.ts';
import { staticModelSource } from '../../server/model-source.ts';
import type { RunningServer } from '../../server/start.ts';
import { startTinyServer } from './tiny-server.ts';
import type { ServeOptions } from '../../server/config.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tinyVersion, type Cleanup } from './fixtures.ts';

const photo = fs.readFileSync(path.join(miniDataDir, 'images/pizza', fs.readdirSync(path.join(miniDataDir, 'images/pizza')).sort()[0]!));
const BOUNDARY = 'x-answers-boundary';
const MB = 1024 * 1024;

const server = (t: Cleanup, opts: Partial<ServeOptions> = {}): Promise<RunningServer> => startTinyServer(t, { maxBodyBytes: 4 * MB, uploadBudgetBytes: 8 * MB, ...opts });

/** A multipart body carrying the photo padded to `size` bytes (a JPEG decoder stops at its end marker). */
function multipart(size: number): Buffer {
  const head = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  return Buffer.concat([head, photo, Buffer.alloc(size - photo.length), tail]);
}

/**
 * A slow reader on a raw socket: sends the header and `body` (declaring `declared` bytes), waits until all of it
 * was written, and only then starts reading. Settles with the answer's status and how the socket ended.
 */
function writeThenRead(url: string, body: Buffer, declared = body.length): Promise<{ status: number; ended: 'end' | string }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let failure: string | undefined;
    socket.pause();
    socket.on('error', (err: NodeJS.ErrnoException) => (failure ??= err.code ?? err.message));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), ended: failure ?? 'end' });
    });
    socket.once('connect', () => {
      socket.write(`POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write(body, (err) => {
        if (err) failure ??= (err as NodeJS.ErrnoException).code ?? err.message;
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.resume();
        if (declared > body.length) socket.end();
      });
    });
  });
}

describe('every upload is answered, none reset', () => {
  it('60 concurrent 3 MB uploads (fetch) against an 8 MB budget: each is 200 or 503 UPLOADS_FULL with Retry-After', async (t) => {
    const srv = await server(t);
    const data = Buffer.concat([photo, Buffer.alloc(3 * MB - photo.length)]);
    const answers = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const form = new FormData();
        form.append('file', new Blob([data], { type: 'image/jpeg' }), 'big.jpg');
        try {
          const res = await fetch(`${srv.url}/predict`, { method: 'POST', body: form });
          const body = (await res.json()) as { error?: { code: string } };
          if (res.status === 503) return `503 ${body.error?.code} ${res.headers.get('retry-after')} ${res.headers.get('connection')}`;
          return String(res.status);
        } catch (err) {
          return `failed: ${(err as Error).message} (${String((err as { cause?: Error }).cause?.message)})`;
        }
      }),
    );
    const counts: Record<string, number> = {};
    for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
    assert.deepEqual(Object.keys(counts).filter((k) => k !== '200' && k !== '503 UPLOADS_FULL 1 close'), [], JSON.stringify(counts));
    assert.ok((counts['200'] ?? 0) > 0, JSON.stringify(counts));
    const until = Date.now() + 3000;
    while (srv.serve.uploads.used > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(srv.serve.uploads.used, 0, 'every byte given back');
  });

  it('clients that write their whole body before reading get 503 (budget full) and 413 (declared too large), then a clean close', async (t) => {
    // Two uploads that declare 3.9 MB, send 3.8 MB and stall (not evictable: stallMs is long) hold the 8 MB budget.
    const srv = await server(t, { uploadStallMs: 60_000, bodyIdleTimeoutMs: 60_000 });
    const holders = Array.from({ length: 2 }, () => {
      const s = net.connect(Number(new URL(srv.url).port), '127.0.0.1');
      s.on('error', () => {});
      s.write(`POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${Math.floor(3.9 * MB)}\r\n\r\n`);
      s.write(multipart(Math.floor(3.9 * MB) - 200).subarray(0, Math.floor(3.8 * MB)));
      return s;
    });
    t.after(() => holders.forEach((s) => s.destroy()));
    const until = Date.now() + 3000;
    while (srv.serve.uploads.used < 7.5 * MB && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(srv.serve.uploads.holders, 2);
    assert.ok(srv.serve.uploads.used >= 7.5 * MB, String(srv.serve.uploads.used));

    const refused = await Promise.all([
      ...Array.from({ length: 20 }, () => writeThenRead(srv.url, multipart(3 * MB))),
      // Declares 12 MB (over the 4 MB limit), sends 6 MB of it before reading, then stops.
      writeThenRead(srv.url, multipart(6 * MB), 12 * MB),
    ]);
    assert.deepEqual(refused.slice(0, 20), Array.from({ length: 20 }, () => ({ status: 503, ended: 'end' })));
    assert.deepEqual(refused[20], { status: 413, ended: 'end' });
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
  });
});
