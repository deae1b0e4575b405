/**
 * Fixtures for the server tests: tiny ONNX classifiers built in code, model directories (ONNX + labels.json +
 * preprocessing.json), the real backbone dressed as a registered model, multipart helpers and a listening app.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { encodeModel, floatTensor, node, onnx, valueInfo, DataType } from '../../ml/onnx/proto.ts';
import { createApp, type AppDeps, type ServeApp } from '../../server/app.ts';
import { memoryLogger } from '../../server/logger.ts';
import type { StaticVersion } from '../../server/model-source.ts';
import { backbonePath, repoRoot } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A test context, or anything with `after` (describe-level hooks). */
export type Cleanup = { after(fn: () => unknown): void };

export const IMAGENET_SPEC = { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], kernel: 'linear' } as const;
export const TINY_SPEC = { resize: 40, crop: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], kernel: 'linear' } as const;

/**
 * images [N,3,S,S] -> GlobalAveragePool -> Flatten -> Gemm -> logits [N,C]. The weights are zero, so the logits
 * equal `bias` for every image: each version answers a known class, which lets a test tell versions apart.
 */
export function tinyClassifier(bias: readonly number[], side: number = TINY_SPEC.crop, names = { input: 'images', output: 'logits' }): Uint8Array {
  const c = bias.length;
  const graph = onnx.GraphProto.create({
    name: 'tiny',
    node: [
      node('GlobalAveragePool', [names.input], ['pooled'], 'pool'),
      node('Flatten', ['pooled'], ['flat'], 'flatten', { axis: 1 }),
      node('Gemm', ['flat', 'W', 'B'], [names.output], 'gemm', { transB: 1 }),
    ],
    initializer: [floatTensor('W', [c, 3], new Float32Array(c * 3)), floatTensor('B', [c], Float32Array.from(bias))],
    input: [valueInfo(names.input, DataType.FLOAT, ['N', 3, side, side])],
    output: [valueInfo(names.output, DataType.FLOAT, ['N', c])],
  });
  return encodeModel(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'server-tests', graph }));
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes a model directory and describes it as a registered version. */
export function writeModelDir(
  dir: string,
  version: number,
  files: { model: Uint8Array; labels: unknown; spec?: unknown; sha256?: string },
): StaticVersion {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), files.model);
  fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(files.labels));
  fs.writeFileSync(path.join(dir, 'preprocessing.json'), JSON.stringify(files.spec ?? TINY_SPEC));
  return { version, dir, modelFile: 'model.onnx', sha256: files.sha256 ?? sha256(files.model) };
}

/** A tiny model version whose top-1 class is `labels[winner]`. */
export function tinyVersion(dir: string, version: number, labels: readonly string[], winner: number): StaticVersion {
  const bias = labels.map((_, i) => (i === winner ? 5 : -i * 0.1));
  return writeModelDir(dir, version, { model: tinyClassifier(bias), labels });
}

export function imagenetLabels(): string[] {
  return fs.readFileSync(path.join(path.dirname(backbonePath), 'imagenet_classes.txt'), 'utf8').split('\n');
}

/** The real backbone (ImageNet logits) as a registered version: ONNX linked, labels and preprocessing beside it. */
export function backboneVersion(t: Cleanup, version = 1): StaticVersion {
  const dir = tempDir(t, 'f101-serve-bb-');
  fs.symlinkSync(backbonePath, path.join(dir, 'model.onnx'));
  fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(imagenetLabels()));
  fs.writeFileSync(path.join(dir, 'preprocessing.json'), JSON.stringify(IMAGENET_SPEC));
  return { version, dir, modelFile: 'model.onnx', sha256: sha256(fs.readFileSync(backbonePath)) };
}

export interface TestServer {
  readonly url: string;
  readonly serve: ServeApp;
  readonly logs: string[];
}

/** createApp + listen on a free port; closed when the test ends. */
export async function startTestApp(t: Cleanup, deps: Omit<AppDeps, 'modelName'> & { modelName?: string }): Promise<TestServer> {
  const logger = memoryLogger();
  const serve = createApp({ modelName: 'food101', pollMs: 0, defaultMetrics: false, logger, ...deps });
  const server = http.createServer(serve.app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    await serve.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  await serve.loaded;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, serve, logs: logger.lines };
}

/**
 * Teardown hooks run in the order they were registered, so stores opened before a server would close first and
 * the server's last prediction-log flush would hit a closed database (a failed hook, and a server left listening
 * that keeps the test process alive). After this, closing the stores drains the server first (its close is
 * idempotent).
 */
export function drainBeforeClosing(stores: { close(): Promise<void> }, serve: { close(): Promise<void> }): void {
  const closeStores = stores.close.bind(stores);
  (stores as { close: () => Promise<void> }).close = async () => {
    await serve.close();
    await closeStores();
  };
}

export interface Part {
  readonly field: string;
  readonly data: Uint8Array | string;
  readonly filename?: string;
  readonly type?: string;
}

/** POSTs multipart form data with fetch; declared types and names are whatever the test says. */
export async function postFiles(url: string, parts: readonly Part[], headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const p of parts) {
    if (p.filename === undefined && typeof p.data === 'string') form.append(p.field, p.data);
    else form.append(p.field, new Blob([p.data], { type: p.type ?? 'application/octet-stream' }), p.filename ?? 'upload.bin');
  }
  const res = await fetch(url, { method: 'POST', body: form, headers });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

/** GET (or any fetch) and parse the JSON body, typed loosely for assertions. */
export async function getJson(url: string, init?: RequestInit): Promise<any> {
  return (await fetch(url, init)).json();
}

/** A response's JSON body, typed loosely for assertions. */
export async function json(res: Response): Promise<any> {
  return res.json();
}

/** A raw HTTP request (for bodies fetch will not send: malformed multipart, lying Content-Length). */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: Buffer | (() => AsyncIterable<Buffer>) },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is sent: that is the point, not a failure.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (typeof opts.body === 'function') {
      const gen = opts.body;
      void (async () => {
        try {
          for await (const chunk of gen()) {
            if (req.destroyed) return;
            if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          }
          req.end();
        } catch {
          /* the server cut us off */
        }
      })();
    } else req.end(opts.body);
  });
}

export const repo = repoRoot;
