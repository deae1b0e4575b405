/**
 * Graceful shutdown: draining answers 503 to new work while probes still answer; SIGTERM lets in-flight
 * requests finish, flushes the prediction log and exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { staticModelSource } from '../../server/model-source.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { backboneVersion, json, postFiles, startTestApp } from './fixtures.ts';

const pizzaDir = path.join(miniDataDir, 'images/pizza');
const pizzas = fs.readdirSync(pizzaDir).sort().slice(0, 8).map((f) => fs.readFileSync(path.join(pizzaDir, f)));

test('draining: new work gets 503, probes keep answering, ready turns 503', async (t) => {
  const srv = await startTestApp(t, { source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }) });
  srv.serve.beginDrain();
  const res = await postFiles(`${srv.url}/predict`, [{ field: 'file', data: pizzas[0]!, filename: 'a.jpg' }]);
  assert.equal(res.status, 503);
  assert.equal(res.body.error.code, 'SHUTTING_DOWN');
  const health = await fetch(`${srv.url}/health`);
  assert.equal(health.status, 200);
  assert.equal((await json(health)).status, 'ok');
  const ready = await fetch(`${srv.url}/ready`);
  assert.equal(ready.status, 503);
  assert.equal((await json(ready)).error.code, 'SHUTTING_DOWN');
});

function serveChild(t: TestContext, env: Record<string, string> = {}) {
  const model = backboneVersion(t);
  const child = spawn(
    process.execPath,
    [...process.execArgv.filter((a) => !a.startsWith('--test')), fileURLToPath(new URL('./serve-child.ts', import.meta.url)), model.dir, model.sha256],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (m) resolve(m);
      };
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        check();
      });
      child.once('exit', () => reject(new Error(`child exited early:\n${out}\n${err}`)));
      check();
    });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, waitFor, exited, out: () => out, err: () => err };
}

test('SIGTERM: the in-flight batch finishes, the log is flushed, the process exits 0', async (t) => {
  const { child, waitFor, exited, out: output, err: errors } = serveChild(t);
  const url = (await waitFor(/LISTENING (\S+)/))[1]!;
  const batch = postFiles(`${url}/predict/batch`, pizzas.map((data, i) => ({ field: 'file', data, filename: `${i}.jpg` })));
  await waitFor(/REQUEST POST \/predict\/batch/);
  child.kill('SIGTERM');

  const res = await batch;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.results.length, 8);
  for (const r of res.body.results) assert.equal(r.predictions[0].class, 'pizza');
  assert.equal(await exited, 0, errors());
  assert.match(output(), /LOG_CLOSED 8/);
  await assert.rejects(fetch(`${url}/health`), 'the port is closed after shutdown');
});

test('SIGTERM phases: not ready but answering (Connection: close) for the drain delay, then 503 while still listening, then exit 0', async (t) => {
  const { child, waitFor, exited, err: errors } = serveChild(t, { DRAIN_DELAY_MS: '1500' });
  const url = (await waitFor(/LISTENING (\S+)/))[1]!;
  const predict = () => postFiles(`${url}/predict`, [{ field: 'file', data: pizzas[0]!, filename: 'a.jpg' }]);
  assert.equal((await predict()).status, 200);
  const signalledAt = performance.now();
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  const ready = await fetch(`${url}/ready`);
  assert.equal(ready.status, 503, 'not ready at once');
  assert.equal((await json(ready)).error.code, 'SHUTTING_DOWN');
  const during = await predict();
  assert.ok(performance.now() - signalledAt < 1500, 'still inside the drain delay (the test machine was too slow to tell)');
  assert.equal(during.status, 200, 'answered during the drain delay');
  assert.equal(during.headers.get('connection'), 'close', 'a keep-alive client is told to reconnect elsewhere');
  // After the delay: refused with 503 (resent elsewhere by the balancer), while the port still listens.
  let refused: Awaited<ReturnType<typeof predict>> | undefined;
  for (let i = 0; i < 60 && !refused; i++) {
    const r = await predict();
    if (r.status === 503) refused = r;
    else await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(refused, 'new work is refused after the drain delay');
  assert.equal(refused.body.error.code, 'SHUTTING_DOWN');
  assert.ok(performance.now() - signalledAt >= 1500, 'not before the drain delay');
  assert.equal(await exited, 0, errors());
  await assert.rejects(fetch(`${url}/health`), 'the port is closed after shutdown');
});
