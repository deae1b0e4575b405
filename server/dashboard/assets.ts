/**
 * The page's files, listed one by one (no directory scanning): ours from `public/`, uPlot's ESM build and CSS from
 * node_modules. Read and gzipped once when the app starts; answered with an ETag (304 when unchanged) and gzip
 * when the browser takes it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context } from 'koa';

const here = path.dirname(fileURLToPath(import.meta.url));
const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** URL path -> file and type. The page imports these URLs and nothing else. */
export const ASSET_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/dashboard': { file: path.join(here, 'public/index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: path.join(here, 'public/app.js'), type: JS },
  '/dashboard/charts.js': { file: path.join(here, 'public/charts.js'), type: JS },
  '/dashboard/panels.js': { file: path.join(here, 'public/panels.js'), type: JS },
  '/dashboard/format.js': { file: path.join(here, 'public/format.js'), type: JS },
  '/dashboard/app.css': { file: path.join(here, 'public/app.css'), type: CSS },
  '/dashboard/favicon.svg': { file: path.join(here, 'public/favicon.svg'), type: 'image/svg+xml' },
  '/dashboard/vendor/uPlot.esm.js': { file: path.join(uplotDir, 'dist/uPlot.esm.js'), type: JS },
  '/dashboard/vendor/uPlot.min.css': { file: path.join(uplotDir, 'dist/uPlot.min.css'), type: CSS },
};

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

export function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [url, { file, type }] of Object.entries(ASSET_FILES)) {
    let body: Buffer;
    try {
      body = fs.readFileSync(file);
    } catch (err) {
      throw new Error(`dashboard: cannot read ${file} for ${url} (${(err as NodeJS.ErrnoException).code}); reinstall (npm ci) or fix ASSET_FILES in server/dashboard/assets.ts`, { cause: err });
    }
    out.set(url, { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return out;
}

/** Bytes the page downloads (gzipped, as a browser gets them): for the README and the browser test. */
export function pageBytes(assets: ReadonlyMap<string, Asset>): { raw: number; gzip: number } {
  let raw = 0, gzip = 0;
  for (const a of assets.values()) (raw += a.body.length), (gzip += a.gzip.length);
  return { raw, gzip };
}

export function sendAsset(ctx: Context, asset: Asset): void {
  ctx.set('ETag', asset.etag);
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.vary('Accept-Encoding');
  if (ctx.get('if-none-match') === asset.etag) {
    ctx.status = 304;
    return;
  }
  ctx.type = asset.type;
  if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = asset.gzip;
  } else {
    ctx.body = asset.body;
  }
}
