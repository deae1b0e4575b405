/**
 * Hot swap under continuous load: no request fails, each is answered wholly by one version (tiny models whose
 * top-1 class names their version), and versions that fail to load (bad sha256, corrupt file, failing smoke
 * inference) leave the serving one in place and show up in /models.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { staticModelSource } from '../../server/model-source.ts';
import { tempDir } from '../helpers/tmp.ts';
import { getJson, json, postFiles, startTestApp, tinyClassifier, tinyVersion, writeModelDir } from './fixtures.ts';

const LABELS = ['a', 'b', 'c'];
/** Which class each good version answers. */
const WINNER: Record<number, string> = { 1: 'a', 2: 'b' };

async function setup(t: Parameters<typeof tempDir>[0] & { after(fn: () => unknown): void }, pollMs = 0) {
  const dir = tempDir(t);
  const v1 = tinyVersion(path.join(dir, 'v1'), 1, LABELS, 0);
  const v2 = tinyVersion(path.join(dir, 'v2'), 2, LABELS, 1);
  const good = tinyClassifier([1, 2, 3]);
  const badSha = writeModelDir(path.join(dir, 'v3'), 3, { model: good, labels: LABELS, sha256: '0'.repeat(64) });
  const corruptBytes = crypto.randomBytes(4096);
  const corrupt = writeModelDir(path.join(dir, 'v4'), 4, { model: corruptBytes, labels: LABELS });
  // The model takes 16x16 inputs but its preprocessing says 32: the smoke inference fails.
  const wrongInput = writeModelDir(path.join(dir, 'v5'), 5, { model: tinyClassifier([1, 2, 3], 16), labels: LABELS });
  // Three outputs, two labels: caught by the smoke inference's shape check.
  const wrongLabels = writeModelDir(path.join(dir, 'v6'), 6, { model: good, labels: ['a', 'b'] });
  const source = staticModelSource('food101', [v1, v2, badSha, corrupt, wrongInput, wrongLabels], { champion: 1 });
  const srv = await startTestApp(t, { source, pollMs });
  const image = await sharp({ create: { width: 48, height: 40, channels: 3, background: '#a53' } }).jpeg().toBuffer();
  return { source, srv, image };
}

/**
 * Keeps `concurrency` requests in flight until stopped; records every answer with the phase (set by the test) in
 * which its request was sent: a request sent before a swap may finish after it, on a loaded machine well after.
 */
function load(url: string, image: Buffer, concurrency: number) {
  const answers: { status: number; version?: number; top?: string; header?: string | null; body?: unknown; sentIn: number }[] = [];
  let running = true;
  let phase = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const sentIn = phase;
      const res = await postFiles(`${url}/predict`, [{ field: 'file', data: image, filename: 'x.jpg', type: 'image/jpeg' }]);
      answers.push({ status: res.status, version: res.body?.model_version, top: res.body?.predictions?.[0]?.class, header: res.headers.get('x-model-version'), body: res.body, sentIn });
    }
  });
  return {
    answers,
    setPhase: (n: number) => {
      phase = n;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

function assertConsistent(answers: ReturnType<typeof load>['answers']) {
  assert.ok(answers.length > 0);
  for (const a of answers) {
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.top, WINNER[a.version!], `v${a.version} answered '${a.top}': a request mixed two models`);
    assert.equal(a.header, String(a.version));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 30));

test('swapping versions under continuous load: no request fails, none mixes versions', async (t) => {
  const { source, srv, image } = await setup(t);
  const traffic = load(srv.url, image, 8);
  await settle();
  source.setAlias('champion', 2);
  await srv.serve.checkModels();
  const swappedAt = traffic.answers.length;
  await settle();
  source.setAlias('champion', 1);
  await srv.serve.checkModels();
  await settle();
  source.setAlias('champion', 2);
  await srv.serve.checkModels();
  traffic.setPhase(1);
  await settle();
  const answers = await traffic.stop();
  assertConsistent(answers);
  const versions = new Set(answers.map((a) => a.version));
  assert.deepEqual([...versions].sort(), [1, 2]);
  assert.ok(answers.slice(0, swappedAt).some((a) => a.version === 1));
  const late = answers.filter((a) => a.sentIn === 1 && a.version !== 2);
  assert.deepEqual(late, [], 'every request sent after the last swap is answered by v2');
  const after = await postFiles(`${srv.url}/predict`, [{ field: 'file', data: image, filename: 'x.jpg' }]);
  assert.equal(after.body.model_version, 2);
  assert.equal(after.body.predictions[0].class, 'b');
});

test('failed loads keep the old model serving and are reported in /models', async (t) => {
  const { source, srv, image } = await setup(t);
  source.setAlias('champion', 2);
  await srv.serve.checkModels();
  const traffic = load(srv.url, image, 4);
  const expected: [number, string, RegExp][] = [
    [3, 'sha256', /sha256 is [0-9a-f]{64}, the registry expects 0{64}/],
    [4, 'session', /onnxruntime cannot load it/],
    [5, 'smoke', /smoke inference failed/],
    [6, 'smoke', /expected float32 \[1,2\]/],
  ];
  for (const [version, step, message] of expected) {
    source.setAlias('champion', version);
    await srv.serve.checkModels();
    const models = await getJson(`${srv.url}/models`);
    const slot = models.models[0];
    assert.equal(slot.model_version, 2, `still serving v2 after v${version} failed`);
    assert.equal(slot.last_swap_error.version, version);
    assert.equal(slot.last_swap_error.step, step);
    assert.match(slot.last_swap_error.message, message);
    assert.equal((await fetch(`${srv.url}/ready`)).status, 200);
  }
  const answers = await traffic.stop();
  assertConsistent(answers);
  assert.ok(answers.every((a) => a.version === 2));
  assert.equal(srv.logs.filter((l) => l.startsWith('warn') && /still serving v2/.test(l)).length, 4, srv.logs.join('\n'));
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /model_swaps_total\{alias="champion",result="failed"\} 4/);
  assert.match(metrics, /model_loaded_info\{model="food101",version="2",alias="champion"\} 1/);
  assert.doesNotMatch(metrics, /model_loaded_info\{model="food101",version="1"/);

  // A good version clears the error.
  source.setAlias('champion', 1);
  await srv.serve.checkModels();
  const models = await getJson(`${srv.url}/models`);
  assert.equal(models.models[0].model_version, 1);
  assert.equal(models.models[0].last_swap_error, null);
});

test('the poller picks up alias moves by itself', async (t) => {
  const { source, srv, image } = await setup(t, 20);
  source.setAlias('champion', 2);
  const deadline = Date.now() + 5000;
  let version = 1;
  while (version !== 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    version = (await getJson(`${srv.url}/health`)).model_version;
  }
  assert.equal(version, 2);
  const res = await postFiles(`${srv.url}/predict`, [{ field: 'file', data: image, filename: 'x.jpg' }]);
  assert.equal(res.body.predictions[0].class, 'b');
});

test('a model file replaced behind the registry\'s back is refused at load', async (t) => {
  const dir = tempDir(t);
  const v1 = tinyVersion(path.join(dir, 'v1'), 1, LABELS, 0);
  fs.writeFileSync(path.join(dir, 'v1', 'model.onnx'), tinyClassifier([9, 0, 0]));
  const srv = await startTestApp(t, { source: staticModelSource('food101', [v1], { champion: 1 }) });
  assert.equal((await fetch(`${srv.url}/ready`)).status, 503);
  const ready = await getJson(`${srv.url}/ready`);
  assert.match(ready.error.message, /sha256/);
});

test('the swap log names what happened: loaded, swapped v1 -> v2, and reloaded (never "swapped v1 -> v1")', async (t) => {
  const dir = tempDir(t);
  const v1 = tinyVersion(path.join(dir, 'v1'), 1, LABELS, 0);
  const v2 = tinyVersion(path.join(dir, 'v2'), 2, LABELS, 1);
  const source = staticModelSource('food101', [v1, v2], { champion: 1 });
  const srv = await startTestApp(t, { source });
  source.setAlias('champion', 2);
  await srv.serve.checkModels();
  // Version 1 again, but its file was rebuilt (another sha256): a reload of the same version number.
  const v1b = tinyVersion(path.join(dir, 'v1b'), 1, LABELS, 2);
  source.addVersion(v1b);
  source.setAlias('champion', 1);
  await srv.serve.checkModels();
  source.setAlias('champion', 1);
  await srv.serve.checkModels();
  const swaps = srv.logs.filter((l) => /champion: (loaded|swapped|reloaded)/.test(l));
  assert.deepEqual(
    swaps.map((l) => l.replace(/ \(sha256.*$/, '')),
    ['info champion: loaded food101 v1', 'info champion: swapped food101 v1 -> v2', 'info champion: swapped food101 v2 -> v1'],
  );
  // Same version, other bytes, while v1 serves: reloaded, naming both hashes.
  const v1c = tinyVersion(path.join(dir, 'v1c'), 1, LABELS, 1);
  source.addVersion(v1c);
  source.setAlias('champion', 1);
  await srv.serve.checkModels();
  const last = srv.logs.filter((l) => /champion: (loaded|swapped|reloaded)/.test(l)).at(-1)!;
  assert.match(last, /^info champion: reloaded food101 v1 \(sha256 [0-9a-f]{12}, was [0-9a-f]{12}\)$/);
  assert.ok(!srv.logs.some((l) => /swapped \S+ v(\d+) -> v\1\b/.test(l)), srv.logs.join('\n'));
});
