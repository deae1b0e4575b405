/**
 * The HTTP contract with the real backbone (ImageNet labels): health/ready while loading and after, predict and
 * batch bodies and headers, models, metrics (one registry per app), OpenAPI, JSON errors, the prediction log.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { memorySink } from '../../server/prediction-sink.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { backboneVersion, getJson, json, postFiles, startTestApp, type Part } from './fixtures.ts';

const pizzaDir = path.join(miniDataDir, 'images/pizza');
const pizza = fs.readFileSync(path.join(pizzaDir, fs.readdirSync(pizzaDir).sort()[0]!));
const file = (data: Uint8Array | string, filename = 'a.jpg'): Part => ({ field: 'file', data, filename, type: 'image/jpeg' });

test('health and ready while no model is loaded, then after it loads', async (t) => {
  const v1 = backboneVersion(t);
  const source = staticModelSource('food101', [v1], {});
  const srv = await startTestApp(t, { source });

  const health = await fetch(`${srv.url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await json(health), { status: 'ok', model_name: null, model_version: null, alias: null });
  const notReady = await fetch(`${srv.url}/ready`);
  assert.equal(notReady.status, 503);
  const nr = await json(notReady);
  assert.equal(nr.ready, false);
  assert.equal(nr.error.code, 'MODEL_NOT_READY');
  const early = await postFiles(`${srv.url}/predict`, [file(pizza)]);
  assert.equal(early.status, 503);
  assert.equal(early.body.error.code, 'MODEL_NOT_READY');
  assert.equal(early.headers.get('retry-after'), '1');

  source.setAlias('champion', 1);
  await srv.serve.checkModels();
  const ready = await fetch(`${srv.url}/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await json(ready), { ready: true, model_name: 'food101', model_version: 1, alias: 'champion' });
  assert.deepEqual(await getJson(`${srv.url}/health`), { status: 'ok', model_name: 'food101', model_version: 1, alias: 'champion' });
});

test('predict: contract, headers, top-k from config, and the prediction log', async (t) => {
  const sink = memorySink();
  const srv = await startTestApp(t, { source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }), predictionLog: sink });

  const res = await postFiles(`${srv.url}/predict?k=50&top_k=50`, [file(pizza)], { 'X-Request-Id': 'client-req-42' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['latency_ms', 'model_version', 'predictions', 'request_id', 'served_alias']);
  // The server's id is its own (unique: the log's key, what feedback names); the client's is kept beside it.
  assert.match(res.body.request_id, /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('x-request-id'), res.body.request_id);
  assert.equal(res.body.served_alias, 'champion');
  assert.equal(res.body.model_version, 1);
  assert.equal(res.headers.get('x-model-alias'), 'champion');
  assert.equal(res.headers.get('x-model-version'), '1');
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(typeof res.body.latency_ms, 'number');
  const preds = res.body.predictions as { id: number; class: string; prob: number }[];
  assert.equal(preds.length, 5, 'k comes from config (default 5), never from the query');
  assert.deepEqual(Object.keys(preds[0]!).sort(), ['class', 'id', 'prob']);
  for (let i = 1; i < preds.length; i++) assert.ok(preds[i - 1]!.prob >= preds[i]!.prob, 'sorted by prob desc');
  assert.equal(preds[0]!.class, 'pizza');
  assert.equal(preds[0]!.id, 963);
  assert.ok(preds[0]!.prob > 0.5 && preds[0]!.prob <= 1);

  const generated = await postFiles(`${srv.url}/predict`, [file(pizza)], { 'X-Request-Id': 'bad id with spaces' });
  assert.match(generated.body.request_id, /^[0-9a-f-]{36}$/);

  assert.equal(sink.rows.length, 2);
  const row = sink.rows[0]!;
  assert.equal(row.requestId, res.body.request_id);
  assert.equal(row.clientRequestId, 'client-req-42');
  assert.equal(sink.rows[1]!.clientRequestId, null);
  assert.equal(row.modelName, 'food101');
  assert.equal(row.modelVersion, 1);
  assert.equal(row.alias, 'champion');
  assert.deepEqual(row.topK, preds);
  assert.equal(row.latencyMs, res.body.latency_ms);
  assert.match(row.imageSha256 ?? '', /^[0-9a-f]{64}$/);
  const stats = row.inputStats!;
  assert.equal(stats.width, 512);
  assert.ok(stats.height > 0 && stats.height <= 512);
  assert.ok(stats.meanBrightness > 0 && stats.meanBrightness < 1);
  assert.ok(stats.contrast > 0 && stats.contrast < 1);
  assert.ok(Math.abs(row.ts - Date.now()) < 60_000);
  await srv.serve.close();
  assert.equal(sink.closed, true, 'close() flushes the prediction log');
});

test('top-k is configurable (and only there)', async (t) => {
  const srv = await startTestApp(t, { source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }), topK: 3 });
  const res = await postFiles(`${srv.url}/predict`, [file(pizza)]);
  assert.equal(res.body.predictions.length, 3);
});

test('batch: one result per file, in order; per-file errors do not fail the others', async (t) => {
  const srv = await startTestApp(t, { source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }), maxBatchFiles: 4 });
  const steakDir = path.join(miniDataDir, 'images/steak');
  const steak = fs.readFileSync(path.join(steakDir, fs.readdirSync(steakDir).sort()[0]!));
  const res = await postFiles(`${srv.url}/predict/batch`, [file(pizza), file('hello, not an image'), file(pizza.subarray(0, 3000)), file(steak)]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers.get('x-model-alias'), 'champion');
  assert.equal(res.headers.get('x-model-version'), '1');
  const r = res.body.results;
  assert.equal(r.length, 4);
  assert.equal(r[0].predictions[0].class, 'pizza');
  assert.deepEqual(Object.keys(r[1]), ['error']);
  assert.equal(r[1].error.status, 415);
  assert.equal(r[2].error.status, 422);
  assert.equal(r[3].predictions.length, 5);
  assert.notEqual(r[0].request_id, r[3].request_id);

  const tooMany = await postFiles(`${srv.url}/predict/batch`, Array.from({ length: 5 }, () => file(pizza)));
  assert.equal(tooMany.status, 413);
  assert.equal(tooMany.body.error.code, 'TOO_MANY_FILES');
  const none = await postFiles(`${srv.url}/predict/batch`, [{ field: 'other', data: 'x' }]);
  assert.equal(none.status, 400);
});

test('models, metrics (per-app registry), openapi, JSON 404/405', async (t) => {
  const source = staticModelSource('food101', [backboneVersion(t)], { champion: 1 });
  const a = await startTestApp(t, { source });
  const b = await startTestApp(t, { source, defaultMetrics: true });
  await postFiles(`${a.url}/predict`, [file(pizza)]);
  await postFiles(`${a.url}/predict`, [file('nope')]);

  const models = await getJson(`${a.url}/models`);
  assert.equal(models.routed_alias, 'champion');
  // The CPU budget and what it derives; no option set here, so the server runs with the derived settings.
  assert.equal(models.cpu.cpus, Math.min(os.availableParallelism(), models.cpu.quota === null ? Infinity : Math.max(1, Math.floor(models.cpu.quota))));
  const { uvThreadpool: _uv, ...derived } = models.cpu.derived;
  const { uvThreadpool: _uvRunning, ...running } = models.cpu.running;
  assert.deepEqual(running, derived);
  assert.match(await (await fetch(`${a.url}/metrics`)).text(), new RegExp(`^server_cpu_budget_cpus ${models.cpu.cpus}$`, 'm'));
  const m = models.models[0];
  assert.equal(m.alias, 'champion');
  assert.equal(m.loaded, true);
  assert.equal(m.model_name, 'food101');
  assert.equal(m.model_version, 1);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.labels_count, 1000);
  assert.equal(m.input, 'input');
  assert.equal(m.output, 'output');
  assert.deepEqual(m.preprocessing.spec, { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], kernel: 'linear' });
  assert.match(m.preprocessing.id, /^[0-9a-f]{16}$/);
  assert.ok(!Number.isNaN(Date.parse(m.loaded_at)));
  assert.equal(m.last_swap_error, null);

  const metricsA = await fetch(`${a.url}/metrics`);
  assert.match(metricsA.headers.get('content-type') ?? '', /text\/plain/);
  const textA = await metricsA.text();
  assert.match(textA, /http_requests_total\{route="\/predict",method="POST",status="200"\} 1/);
  assert.match(textA, /http_requests_total\{route="\/predict",method="POST",status="415"\} 1/);
  assert.match(textA, /http_request_duration_seconds_bucket\{le="0.5",route="\/predict",method="POST"\} \d/);
  assert.match(textA, /inference_duration_seconds_count [1-9]/);
  assert.match(textA, /inference_batch_size_bucket\{le="1"\} [1-9]/);
  assert.match(textA, /model_loaded_info\{model="food101",version="1",alias="champion"\} 1/);
  assert.match(textA, /prediction_log_queue_length 0/);
  const textB = await (await fetch(`${b.url}/metrics`)).text();
  assert.doesNotMatch(textB, /route="\/predict"/, 'app b has its own registry');
  assert.match(textB, /process_resident_memory_bytes/);

  const doc = await getJson(`${a.url}/openapi.json`);
  assert.equal(doc.openapi, '3.0.3');
  for (const p of ['/health', '/ready', '/predict', '/predict/batch', '/models', '/metrics', '/openapi.json']) assert.ok(doc.paths[p], p);
  assert.ok(doc.paths['/predict'].post.responses['415']);
  assert.equal(doc.components.schemas.Prediction.properties.predictions.maxItems, 5);
  assert.ok(doc.components.schemas.Error.properties.error.required.includes('code'));

  const notFound = await fetch(`${a.url}/nope`);
  assert.equal(notFound.status, 404);
  assert.equal((await json(notFound)).error.code, 'NOT_FOUND');
  const wrongMethod = await fetch(`${a.url}/predict`);
  assert.equal(wrongMethod.status, 405);
  assert.equal((await json(wrongMethod)).error.code, 'METHOD_NOT_ALLOWED');
});

test('back-pressure: requests over maxInFlight get 503 OVERLOADED, the rest are served', async (t) => {
  const srv = await startTestApp(t, { source: staticModelSource('food101', [backboneVersion(t)], { champion: 1 }), maxInFlight: 2 });
  const answers = await Promise.all(Array.from({ length: 10 }, () => postFiles(`${srv.url}/predict`, [file(pizza)])));
  const statuses = answers.map((a) => a.status);
  assert.ok(statuses.includes(200), statuses.join(','));
  assert.ok(statuses.includes(503), statuses.join(','));
  for (const a of answers.filter((x) => x.status === 503)) {
    assert.equal(a.body.error.code, 'OVERLOADED');
    assert.equal(a.headers.get('retry-after'), '1');
  }
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
});
