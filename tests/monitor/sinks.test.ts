/** Alert sinks against real receivers: a local HTTP server (retries, timeouts, refusals) and a JSONL file. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deliver, jsonlSink, webhookSink } from '../../monitor/sinks.ts';
import type { MonitoringAlert } from '../../stores/monitoring-store.ts';
import { receiver } from '../helpers/http-receiver.ts';
import { tempDir } from '../helpers/tmp.ts';

const alert = (i: number): MonitoringAlert => ({
  id: `a-${i}`, ts: 1_764_662_400_000 + i, modelName: 'food101', modelVersion: 3, detector: 'input_drift', event: 'fire',
  message: 'input statistics drifted: score 0.917 vs threshold 0.5; likely cause: inputs much darker than the reference (brightness x0.40)',
  command: 'npx pipeline run pipelines/food101.yaml', payload: { score: 0.917, threshold: 0.5, causes: ['inputs much darker than the reference (brightness x0.40)'] },
  acknowledgedBy: null, acknowledgedAt: null,
});

test('webhook: retried after a 503 and a timeout, then delivered once with the alert body', async (t) => {
  const r = await receiver(t, (n) => (n === 0 ? 503 : n === 1 ? 'hang' : 204));
  await webhookSink(r.url, { timeoutMs: 200, retries: 3, backoffMs: 10 }).send(alert(1));
  assert.equal(r.attempts(), 3);
  assert.equal(r.bodies.length, 1);
  const b = r.bodies[0] as Record<string, unknown>;
  assert.equal(b.id, 'a-1');
  assert.equal(b.model, 'food101');
  assert.equal(b.detector, 'input_drift');
  assert.equal(b.command, 'npx pipeline run pipelines/food101.yaml');
  assert.deepEqual(b.causes, ['inputs much darker than the reference (brightness x0.40)']);
});

test('webhook: a 400 is not retried; failures are reported by deliver, which still feeds the other sinks', async (t) => {
  const r = await receiver(t, () => 400);
  const sink = webhookSink(r.url, { retries: 3, backoffMs: 10 });
  await assert.rejects(sink.send(alert(2)), /not delivered after 4 attempt\(s\): HTTP 400/);
  assert.equal(r.attempts(), 1);
  const file = path.join(tempDir(t), 'alerts.jsonl');
  const errors: string[] = [];
  const out = await deliver([alert(3)], [sink, jsonlSink(file)], { info() {}, warn() {}, error: (m) => errors.push(m) });
  assert.deepEqual(out, { delivered: 1, failed: 1 });
  assert.match(errors[0]!, /sink webhook/);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).id, 'a-3');
  assert.throws(() => webhookSink('not a url'), /is not a URL/);
  assert.throws(() => webhookSink('file:///etc/passwd'), /must be http\(s\)/);
});

test('JSONL: concurrent appends keep one whole alert per line', async (t) => {
  const file = path.join(tempDir(t), 'sub', 'alerts.jsonl');
  const sink = jsonlSink(file);
  await Promise.all(Array.from({ length: 50 }, (_, i) => sink.send(alert(i))));
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 50);
  assert.deepEqual(new Set(lines.map((l) => (JSON.parse(l) as { id: string }).id)), new Set(Array.from({ length: 50 }, (_, i) => `a-${i}`)));
});
