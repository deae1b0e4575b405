/**
 * Self-healing inference: the worker thread is killed from the test through the app's own handle while
 * requests flow. In-flight and new requests fail fast with 503 + Retry-After (never 500, never a hang), `/ready`
 * says not-ready until the worker is back, the same model heals in place (no reload, no "swapped v1 -> v1"), and
 * the next requests succeed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { staticModelSource } from '../../server/model-source.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { DataType, encodeModel, floatTensor, node, onnx, valueInfo } from '../../ml/onnx/proto.ts';
import { IMAGENET_SPEC, postFiles, startTestApp, tinyClassifier, TINY_SPEC, writeModelDir } from './fixtures.ts';

const photo = fs.readFileSync(path.join(miniDataDir, 'images/pizza', fs.readdirSync(path.join(miniDataDir, 'images/pizza')).sort()[0]!));

test('killing the inference worker under load: only 503s + Retry-After until it is back, then 200s again', async (t) => {
  const v = writeModelDir(tempDir(t, 'f101-heal-'), 1, { model: tinyClassifier([0, 3, 1], 224), labels: ['a', 'b', 'c'], spec: IMAGENET_SPEC });
  const { url, serve, logs } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), pollMs: 50 });
  const model = serve.holder.current('champion')!;
  const answers: { status: number; retryAfter: string | null; code?: string; ms: number; at: number }[] = [];
  let stop = false;
  const client = async () => {
    while (!stop) {
      const t0 = performance.now();
      const res = await postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }]);
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), code: res.body?.error?.code, ms: performance.now() - t0, at: performance.now() });
      if (res.status !== 200) await new Promise((r) => setTimeout(r, 5));
    }
  };
  const clients = Array.from({ length: 4 }, client);
  while (answers.filter((a) => a.status === 200).length < 20) await new Promise((r) => setTimeout(r, 10));

  const worker = model.inferenceWorker();
  assert.ok(worker, 'the model runs on a worker thread');
  const gone = new Promise<number>((r) => worker.once('exit', r));
  const killedAt = performance.now();
  // Exits as from a crash, after the run in progress (a raw terminate() inside onnxruntime's native run aborts
  // the whole process: a Node worker-thread limit, see ort-session.ts).
  model.killInferenceWorker();
  assert.equal(await gone, 1);
  assert.equal(serve.isReady(), false, 'not ready the moment the worker is gone');
  const ready = await fetch(`${url}/ready`);
  assert.equal(ready.status, 503);
  assert.equal(ready.headers.get('retry-after'), '1');

  // Back by itself within a few seconds.
  const until = performance.now() + 10_000;
  while (!serve.isReady() && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.ok(serve.isReady(), 'ready again');
  const backAt = performance.now();
  assert.ok(backAt - killedAt < 5000, `recovered in ${(backAt - killedAt).toFixed(0)} ms`);
  const before = answers.length;
  while (answers.slice(before).filter((a) => a.status === 200).length < 10 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  stop = true;
  await Promise.all(clients);

  const statuses = new Set(answers.map((a) => a.status));
  assert.deepEqual([...statuses].filter((s) => s !== 200 && s !== 503), [], `statuses: ${[...statuses].join(',')}`);
  for (const a of answers.filter((x) => x.status === 503)) {
    assert.equal(a.retryAfter, '1');
    assert.equal(a.code, 'INFERENCE_UNAVAILABLE');
  }
  assert.ok(answers.every((a) => a.ms < 2000), 'no request hung');
  assert.ok(answers.slice(before).filter((a) => a.status === 200).length >= 10, 'served again');
  // Healed in place: the same loaded model, no reload through the watcher.
  assert.equal(serve.holder.current('champion'), model);
  assert.ok(!logs.some((l) => /swapped \S+ v1 -> v1/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /inference worker exited .*restarting/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /inference worker restarted/.test(l)), logs.join('\n'));
  assert.equal((await fetch(`${url}/health`)).status, 200);
});

/** A model that takes a few hundred ms per image (4,000 chained 256x256 MatMuls): slow enough to count as hung. */
function slowClassifier(classes: number): Uint8Array {
  const side = TINY_SPEC.crop;
  const k = 256;
  const chain = Array.from({ length: 16000 }, (_, i) => node('MatMul', [i === 0 ? 'h0' : `h${i}`, 'W'], [`h${i + 1}`], `mm${i}`));
  const graph = onnx.GraphProto.create({
    name: 'slow',
    node: [
      node('Flatten', ['images'], ['flat'], 'flatten', { axis: 1 }),
      node('MatMul', ['flat', 'W0'], ['h0'], 'in'),
      ...chain,
      node('MatMul', ['h4000', 'Wout'], ['logits'], 'out'),
    ],
    initializer: [
      floatTensor('W0', [3 * side * side, k], new Float32Array(3 * side * side * k)),
      floatTensor('W', [k, k], new Float32Array(k * k).fill(1 / k)),
      floatTensor('Wout', [k, classes], new Float32Array(k * classes)),
    ],
    input: [valueInfo('images', DataType.FLOAT, ['N', 3, side, side])],
    output: [valueInfo('logits', DataType.FLOAT, ['N', classes])],
  });
  return encodeModel(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'server-tests', graph }));
}

test('a run that outlives inferenceTimeoutMs counts as a hung worker: 503 + Retry-After at once, worker restarted', async (t) => {
  const v = writeModelDir(tempDir(t, 'f101-hang-'), 1, { model: slowClassifier(3), labels: ['a', 'b', 'c'], spec: TINY_SPEC });
  // 20 ms against runs of several hundred (16,000 chained MatMuls; 4,000 could finish in under 20 ms on an idle machine): every run "hangs" (the real default is 10 s); the point is what happens then.
  const { url, serve, logs } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), inferenceTimeoutMs: 20 });
  assert.ok(serve.holder.current('champion'), `loaded: ${logs.join('\n')}`);
  // A starved test process may see a run's answer before its 20 ms timer: then that request is simply served.
  // Within a few tries a run is caught hanging, and that request gets 503 + Retry-After at once.
  let res = await postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }]);
  for (let i = 0; i < 5 && res.status === 200; i++) res = await postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }]);
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'INFERENCE_UNAVAILABLE');
  assert.equal(res.headers.get('retry-after'), '1');
  const until = Date.now() + 30_000;
  while (!logs.some((l) => /inference worker restarted/.test(l)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.ok(logs.some((l) => /took longer than 20 ms: abandoning the worker/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /inference worker restarted/.test(l)), logs.join('\n'));
  assert.equal(serve.holder.current('champion')?.status(), 'ok');
});
