/**
 * The dashboard without a browser: who may act (token, cross-site checks), the event stream (snapshots,
 * heartbeats, bounded clients, cleanup), history ranges, the page's headers, switching it off, and the panel maths.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { staticModelSource } from '../../server/model-source.ts';
import { checkAction, tokensEqual } from '../../server/dashboard/auth.ts';
import { histogramQuantile } from '../../server/dashboard/live-metrics.ts';
import { variantStats } from '../../server/dashboard/store-panels.ts';
import type { LoggedPrediction } from '../../stores/prediction-log.ts';
import { tempDir } from '../helpers/tmp.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { postFiles, startTestApp, tinyVersion } from './fixtures.ts';
import { memoryMonitoring, memoryRollouts } from './dashboard-fixtures.ts';

const TOKEN = 'test-token-0123456789';
const pizzaDir = path.join(miniDataDir, 'images/pizza');
const pizza = fs.readFileSync(path.join(pizzaDir, fs.readdirSync(pizzaDir).sort()[0]!));

async function start(t: test.TestContext, dashboard: Record<string, unknown> = { adminToken: TOKEN }) {
  const source = staticModelSource('food101', [tinyVersion(tempDir(t), 1, ['pizza', 'steak', 'sushi'], 0)], { champion: 1 });
  const rollouts = memoryRollouts('food101');
  const monitoring = memoryMonitoring('food101');
  const srv = await startTestApp(t, { source, rolloutControl: rollouts, monitoringView: monitoring, dashboard });
  return { ...srv, rollouts, monitoring };
}

/** A POST with exactly these headers (fetch would drop or set Origin itself). */
function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json(): Promise<any> }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, json: async () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

test('checkAction: read-only, form posts, cross-site, missing and wrong tokens are refused', () => {
  const req = (headers: Record<string, string>, method = 'POST') => ({ method, origin: 'http://127.0.0.1:8000', get: (n: string) => headers[n] ?? '' });
  const json = { 'content-type': 'application/json', 'x-dashboard-token': TOKEN };
  const status = (fn: () => void) => {
    try {
      fn();
      return 200;
    } catch (err) {
      return (err as { status: number }).status;
    }
  };
  assert.equal(status(() => checkAction(req(json), '')), 403, 'no token configured: read-only');
  assert.equal(status(() => checkAction(req(json), TOKEN)), 200);
  assert.equal(status(() => checkAction(req({ ...json, 'content-type': 'application/x-www-form-urlencoded' }), TOKEN)), 415);
  assert.equal(status(() => checkAction(req({ ...json, 'content-type': 'text/plain' }), TOKEN)), 415);
  assert.equal(status(() => checkAction(req({ ...json, 'sec-fetch-site': 'cross-site' }), TOKEN)), 403);
  assert.equal(status(() => checkAction(req({ ...json, 'sec-fetch-site': 'same-site' }), TOKEN)), 403);
  assert.equal(status(() => checkAction(req({ ...json, 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:8000' }), TOKEN)), 200);
  assert.equal(status(() => checkAction(req({ ...json, origin: 'https://evil.example' }), TOKEN)), 403);
  assert.equal(status(() => checkAction(req({ 'content-type': 'application/json' }), TOKEN)), 401);
  assert.equal(status(() => checkAction(req({ ...json, 'x-dashboard-token': `${TOKEN}x` }), TOKEN)), 401);
  assert.equal(tokensEqual('a', 'a'), true);
  assert.equal(tokensEqual('a', 'a'.repeat(100)), false, 'different lengths compare (as digests) without throwing');
});

test('actions over HTTP: refused without the token, cross-site or as a form; with it the actor lands in the rollout history', async (t) => {
  const srv = await start(t);
  const url = `${srv.url}/dashboard/api/rollout/abort`;
  let res = await post(url, { actor: 'ana' });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, 'TOKEN_REQUIRED');
  res = await post(url, { actor: 'ana' }, { 'X-Dashboard-Token': 'wrong-token-wrong' });
  assert.equal(res.status, 401);
  res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Dashboard-Token': TOKEN }, body: 'actor=ana' });
  assert.equal(res.status, 415);
  res = await post(url, { actor: 'ana' }, { 'X-Dashboard-Token': TOKEN, Origin: 'https://evil.example' });
  assert.equal(res.status, 403);
  assert.equal(srv.rollouts.status.phase, 'progressing', 'nothing refused changed the rollout');
  res = await post(url, { reason: 'x' }, { 'X-Dashboard-Token': TOKEN });
  assert.equal(res.status, 400, 'an action says who acts');

  res = await post(`${srv.url}/dashboard/api/rollout/pause`, { actor: 'ana', reason: 'latency' }, { 'X-Dashboard-Token': TOKEN, Origin: srv.url });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).rollout.phase, 'paused');
  res = await post(`${srv.url}/dashboard/api/rollout/pause`, { actor: 'ana' }, { 'X-Dashboard-Token': TOKEN });
  assert.equal(res.status, 409, 'pausing a paused rollout is refused with the controller\'s reason');
  assert.match((await res.json()).error.message, /cannot pause a rollout that is paused/);
  res = await post(url, { actor: 'ana' }, { 'X-Dashboard-Token': TOKEN });
  assert.equal(res.status, 200);
  assert.equal(srv.rollouts.status.phase, 'aborted');
  const last = srv.rollouts.status.events.at(-1)!;
  assert.equal(last.actor, 'ana');
  assert.equal(last.kind, 'aborted');

  res = await post(`${srv.url}/dashboard/api/alerts/a-1/ack`, { actor: 'bo' }, { 'X-Dashboard-Token': TOKEN });
  assert.equal(res.status, 200);
  assert.equal(srv.monitoring.alertList[0]!.acknowledgedBy, 'bo');
  res = await post(`${srv.url}/dashboard/api/alerts/nope/ack`, { actor: 'bo' }, { 'X-Dashboard-Token': TOKEN });
  assert.equal(res.status, 404);
});

test('read-only without a token: every action is 403', async (t) => {
  const srv = await start(t, {});
  const res = await post(`${srv.url}/dashboard/api/rollout/abort`, { actor: 'ana' }, { 'X-Dashboard-Token': 'anything-at-all' });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, 'READ_ONLY');
  const snap: any = await (await fetch(`${srv.url}/dashboard/api/snapshot`)).json();
  assert.equal(snap.meta.readOnly, true);
});

/** Reads an event stream until `until` says stop; resolves with what arrived. */
function readEvents(url: string, until: (text: string) => boolean): Promise<{ status: number; text: string; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let text = '';
      if (res.statusCode !== 200) {
        res.resume();
        return resolve({ status: res.statusCode!, text, req });
      }
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (until(text)) resolve({ status: 200, text, req });
      });
    });
    req.on('error', reject);
  });
}

test('events: snapshots and heartbeats, a bounded number of clients, forgotten on close', async (t) => {
  const srv = await start(t, { adminToken: TOKEN, maxClients: 1, heartbeatMs: 50, snapshotMs: 100 });
  await postFiles(`${srv.url}/predict`, [{ field: 'file', data: pizza, filename: 'a.jpg', type: 'image/jpeg' }]);
  const first = await readEvents(`${srv.url}/events`, (s) => (s.match(/event: snapshot/g)?.length ?? 0) >= 2 && s.includes(': heartbeat'));
  assert.match(first.text, /^retry: \d+/);
  const data = first.text.split('\n').find((l) => l.startsWith('data: '))!;
  const snap: any = JSON.parse(data.slice(6));
  assert.equal(snap.modelName, 'food101');
  assert.deepEqual(snap.models.map((m: { alias: string; version: number; role: string }) => [m.alias, m.version, m.role]), [['champion', 1, 'routed']]);
  assert.equal(snap.meta.readOnly, false);
  assert.equal(snap.meta.rollouts, true);

  const second = await readEvents(`${srv.url}/events`, () => true);
  assert.equal(second.status, 503, 'past max_clients the stream is refused');
  first.req.destroy();
  // Closing the first frees its place (the server notices the socket close).
  let again = await readEvents(`${srv.url}/events`, (s) => s.includes('event: snapshot'));
  for (let i = 0; again.status !== 200 && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 50));
    again = await readEvents(`${srv.url}/events`, (s) => s.includes('event: snapshot'));
  }
  assert.equal(again.status, 200);
  again.req.destroy();
});

test('page headers (CSP self only), assets, history ranges, and the dashboard switched off', async (t) => {
  const srv = await start(t);
  const page = await fetch(`${srv.url}/dashboard`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self';/);
  assert.doesNotMatch(csp, /https?:|unsafe-inline|unsafe-eval/);
  const html = await page.text();
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external URL in the page');
  const lib = await fetch(`${srv.url}/dashboard/vendor/uPlot.esm.js`);
  assert.equal(lib.status, 200);
  assert.match(lib.headers.get('content-type') ?? '', /text\/javascript/);
  const cached = await fetch(`${srv.url}/dashboard/vendor/uPlot.esm.js`, { headers: { 'If-None-Match': lib.headers.get('etag')! } });
  assert.equal(cached.status, 304);

  assert.equal((await fetch(`${srv.url}/dashboard/api/history?range=7d`)).status, 400);
  const h: any = await (await fetch(`${srv.url}/dashboard/api/history?range=1h`)).json();
  assert.equal(h.bucketMs, 60_000);
  assert.equal(h.buckets, null, 'no prediction store in this app');
  assert.ok(h.drift.length > 0, 'drift scores from monitoring');

  const off = await start(t, { enabled: false });
  assert.equal((await fetch(`${off.url}/dashboard`)).status, 404);
  assert.equal((await fetch(`${off.url}/events`)).status, 404);
});

test('panel maths: histogram quantiles and per-variant agreement', () => {
  const now = new Map([[0.01, 50], [0.02, 90], [0.05, 100], [Infinity, 100]]);
  assert.equal(histogramQuantile(now, undefined, 0.5), 10);
  assert.ok(Math.abs(histogramQuantile(now, undefined, 0.7)! - 15) < 1e-9);
  assert.equal(histogramQuantile(now, now, 0.5), null, 'no observations between two equal totals');
  const row = (requestId: string, variant: string, top1Class: string, label: string | null = null) =>
    ({ requestId, variant, top1Class, top1Prob: 0.9, label, latencyMs: 10, errorCode: null }) as unknown as LoggedPrediction;
  const stats = variantStats([row('1', 'stable', 'pizza', 'pizza'), row('1', 'shadow', 'pizza'), row('2', 'stable', 'steak', 'sushi'), row('2', 'shadow', 'sushi')], new Set(['shadow']));
  const shadow = stats.find((s) => s.variant === 'shadow')!;
  assert.equal(shadow.agreement, 0.5);
  assert.equal(shadow.pairs, 2);
  assert.equal(shadow.share, 1, 'a shadow mirrors every stable request here');
  const stable = stats.find((s) => s.variant === 'stable')!;
  assert.equal(stable.accuracy, 0.5);
  assert.equal(stable.share, 1);
});
