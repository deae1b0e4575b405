/**
 * Monitoring end to end on real photos (issue 12): a model trained on 10 classes of the mini set is registered
 * (its reference profile computed from its test split), served by a real `pipeline serve` process with monitoring
 * on, and sent windows of 200 photos over HTTP. After each window `pipeline monitor --json` evaluates the newest
 * window (the server's own loop evaluates it too; whichever comes first steps the alert). Expected:
 * ordinary test photos raise nothing; the same photos darkened (x0.4) and inverted raise an input-drift alert
 * naming the cause; photos of the 3 held-out classes raise an out-of-scope alert and the label-free accuracy
 * estimate drops; every alert reaches a local webhook receiver and the JSONL file; the server's /metrics exports
 * the drift gauges. Hysteresis is set to fire after 1 drifted window and clear after 1 clean one, with an
 * ordinary window between the drifted ones (the default 2/3 is covered by tests/ml/monitoring).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { openStores } from '../../stores/index.ts';
import { exited, runCli, spawnCli, waitFor } from '../helpers/cli.ts';
import { backbonePath, backboneSha256, miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';

const ALL = fs.readFileSync(path.join(miniDataDir, 'meta', 'classes.txt'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
const HELD_OUT = ['pizza', 'steak', 'sushi'];
const KNOWN = ALL.filter((c) => !HELD_OUT.includes(c));
const meta = (split: 'train' | 'test') => JSON.parse(fs.readFileSync(path.join(miniDataDir, 'meta', `${split}.json`), 'utf8')) as Record<string, string[]>;
const file = (id: string) => path.join(miniDataDir, 'images', `${id}.jpg`);

function writePipeline(dir: string): void {
  fs.writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    `name: monitoring
data:
  root: ${JSON.stringify(miniDataDir)}
  subset: { classes: [${KNOWN.join(', ')}], fraction: 1.0, seed: 1 }
backbone:
  path: ${JSON.stringify(backbonePath)}
  sha256: ${backboneSha256}
  feature_node: { tensor: 472_quantized, scale: 464_scale, zero_point: 464_zero_point }
architectures:
  linear: { family: head, layers: [] }
stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features }
  grid: { step: grid, with: { architectures: [linear], params: { lr: 0.003, epochs: 20, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { winner_by: test.accuracy, refit: false } }
  export: { step: export, with: { parity_images: 2 } }
  register: { step: register, with: { model: mon } }
  serve:
    step: serve
    with:
      model: mon
      poll_ms: 0
      monitoring:
        window: { requests: 200 }
        interval_s: 1
        hysteresis: { fire_after: 1, clear_after: 1 }
        notify: [{ webhook: "\${ALERT_WEBHOOK:-}", timeout_ms: 2000, retries: 2 }, { file: outputs/monitoring/alerts.jsonl }, { log: true }]
        retrain_command: npx pipeline run pipeline.yaml
        capture: { enabled: true, low_confidence: 0.4, max_images: 40 }
`,
  );
}

interface MonitorJson {
  version: number;
  window: { n: number };
  detectors: Record<string, { method: string; score: number | null; threshold: number | null; verdict: string }>;
  causes: string[];
  alerts: { event: string; detector: string; message: string }[];
}

interface Received {
  event: string;
  detector: string;
  model: string;
  version: number;
  message: string;
  command: string;
  causes: string[];
  window: { n: number };
  score: number;
  threshold: number;
}

test('monitoring on real photos: ordinary, darkened, negative and held-out windows through a served model', { timeout: 900_000 }, async (t) => {
  const dir = tempDir(t, 'f101-monitoring-');
  writePipeline(dir);

  // The webhook receiver: a plain local HTTP server that records every JSON body.
  const received: Received[] = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body) as Received);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  t.after(() => hook.close());
  const env = { ALERT_WEBHOOK: `http://127.0.0.1:${(hook.address() as { port: number }).port}/alerts` };

  const run = runCli(['run', 'pipeline.yaml', '--until', 'register'], { cwd: dir, env });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr + run.stdout, /monitoring profile: \d+ test photos \(reference\)/);

  // The photos, prepared before the server starts.
  const testIds = KNOWN.flatMap((c) => meta('test')[c]!);
  assert.equal(testIds.length, 200);
  const ordinary = testIds.map((id) => fs.readFileSync(file(id)));
  const dark = await Promise.all(ordinary.map((b) => sharp(b).modulate({ brightness: 0.4 }).jpeg({ quality: 90 }).toBuffer()));
  const negative = await Promise.all(ordinary.map((b) => sharp(b).negate({ alpha: false }).jpeg({ quality: 90 }).toBuffer()));
  const heldOut = HELD_OUT.flatMap((c) => [...meta('test')[c]!, ...meta('train')[c]!]).slice(0, 200).map((id) => fs.readFileSync(file(id)));

  const server = spawnCli(['serve', 'pipeline.yaml', '--port', '0'], { cwd: dir, env });
  let output = '';
  server.stdout!.on('data', (d: Buffer) => (output += d));
  server.stderr!.on('data', (d: Buffer) => (output += d));
  const done = exited(server);
  t.after(() => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  });
  // Port 0 (any free port): the URL comes from the server's "serving ... on <url>" line.
  await waitFor(() => {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}) before it was ready:\n${output}`);
    return /serving mon@champion \(v\d+\) on http:\/\/\S+/.test(output);
  }, 120_000, 'the server to be ready');
  const url = /serving mon@champion \(v\d+\) on (http:\/\/[^\s]+)/.exec(output)![1]!;

  const stores = await openStores({ url: `sqlite:${path.join(dir, 'experiments', 'mlops.db')}`, registryDir: path.join(dir, 'experiments', 'registry') });
  t.after(() => stores.close());
  let sent = 0;
  const send = async (photos: readonly Buffer[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: 6 }, async () => {
      while (next < photos.length) {
        const bytes = photos[next++]!;
        const form = new FormData();
        form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'photo.jpg');
        const res = await fetch(`${url}/predict`, { method: 'POST', body: form });
        assert.equal(res.status, 200, await res.text());
        await res.arrayBuffer().catch(() => undefined);
      }
    }));
    sent += photos.length;
    const start = Date.now();
    while ((await stores.predictions.count({ modelName: 'mon' })) < sent) {
      if (Date.now() - start > 30_000) throw new Error('the prediction log did not catch up');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const monitor = (): MonitorJson => {
    const r = runCli(['monitor', '--model', 'mon', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return JSON.parse(r.stdout) as MonitorJson;
  };
  const summary = (m: MonitorJson) => Object.entries(m.detectors).map(([k, d]) => `${k}=${d.verdict}(${d.score?.toPrecision(3)})`).join(' ') + ` | ${m.causes.join('; ')}`;
  const alertsFor = async (n: number) => {
    await waitFor(() => received.length >= n, 20_000, `${n} webhook alerts (have ${received.length}: ${received.map((a) => `${a.event} ${a.detector}`).join(', ')})`);
  };

  // 1. Ordinary test photos: nothing drifts, no alert.
  await send(ordinary);
  const m1 = monitor();
  t.diagnostic(`ordinary: ${summary(m1)}`);
  assert.equal(m1.window.n, 200);
  for (const [k, d] of Object.entries(m1.detectors)) assert.notEqual(d.verdict, 'drift', `${k} on ordinary photos: ${summary(m1)}`);
  // Let the server loop see it too; still no alert anywhere.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(received.length, 0, JSON.stringify(received));

  // 2. Darkened x0.4: input drift, "much darker".
  await send(dark);
  const m2 = monitor();
  t.diagnostic(`dark: ${summary(m2)}`);
  assert.equal(m2.detectors.input_drift!.verdict, 'drift', summary(m2));
  assert.ok(m2.causes.some((c) => /much darker than the reference/.test(c)), summary(m2));
  await waitFor(() => received.some((a) => a.event === 'fire' && a.detector === 'input_drift'), 20_000, 'the input-drift alert at the webhook');
  const darkAlert = received.find((a) => a.event === 'fire' && a.detector === 'input_drift')!;
  assert.equal(darkAlert.model, 'mon');
  assert.equal(darkAlert.window.n, 200);
  assert.match(darkAlert.message, /input statistics drifted: .* score .* vs threshold .*likely cause: inputs much darker than the reference/);
  assert.equal(darkAlert.command, 'npx pipeline run pipeline.yaml');

  // 3. Ordinary again: the alerts clear.
  await send(ordinary);
  const m3 = monitor();
  assert.equal(m3.detectors.input_drift!.verdict, 'ok', summary(m3));
  await waitFor(() => received.some((a) => a.event === 'clear' && a.detector === 'input_drift'), 20_000, 'the input-drift alert to clear');

  // 4. Negatives: input drift, "inverted".
  const firesBefore = received.filter((a) => a.event === 'fire' && a.detector === 'input_drift').length;
  await send(negative);
  const m4 = monitor();
  t.diagnostic(`negative: ${summary(m4)}`);
  assert.equal(m4.detectors.input_drift!.verdict, 'drift', summary(m4));
  assert.ok(m4.causes.some((c) => /colours inverted \(negative\)/.test(c)), summary(m4));
  await waitFor(() => received.filter((a) => a.event === 'fire' && a.detector === 'input_drift').length > firesBefore, 20_000, 'the second input-drift alert');
  assert.ok(received.filter((a) => a.event === 'fire' && a.detector === 'input_drift').at(-1)!.causes.some((c) => /inverted/.test(c)));

  // 5. Ordinary, then 6. the 3 held-out classes: out of scope, and the label-free estimate drops.
  await send(ordinary);
  monitor();
  await send(heldOut);
  const m6 = monitor();
  t.diagnostic(`held-out classes: ${summary(m6)}`);
  assert.equal(m6.detectors.out_of_scope!.verdict, 'drift', summary(m6));
  assert.ok(m6.causes.some((c) => /outside the known classes/.test(c)), summary(m6));
  assert.ok(m6.detectors.estimated_accuracy!.score! < m1.detectors.estimated_accuracy!.score! - 0.05, `CBPE ${m6.detectors.estimated_accuracy!.score} vs ${m1.detectors.estimated_accuracy!.score} on ordinary photos`);
  await waitFor(() => received.some((a) => a.event === 'fire' && a.detector === 'out_of_scope'), 20_000, 'the out-of-scope alert');

  // Every alert of the store reached both sinks, and the sinks hold nothing else. The sinks deliver after the store
  // write, and the loop may still be firing the last window's alerts: wait for the stored ones to arrive, then check
  // the sinks against the store read after them (anything a sink has was stored before it was sent).
  const fileIds = () => new Set(fs.readFileSync(path.join(dir, 'outputs', 'monitoring', 'alerts.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id));
  const webhookIds = () => new Set(received.map((a) => (a as unknown as { id: string }).id));
  const stored = await stores.monitoring.recentAlerts('mon', 100);
  await waitFor(() => { const f = fileIds(), w = webhookIds(); return stored.every((a) => f.has(a.id) && w.has(a.id)); }, 20_000,
    `the ${stored.length} stored alerts in both sinks (file ${fileIds().size}, webhook ${webhookIds().size})`);
  const [inFile, inWebhook] = [fileIds(), webhookIds()];
  const storedAfter = new Set((await stores.monitoring.recentAlerts('mon', 100)).map((a) => a.id));
  assert.deepEqual([...inFile].filter((id) => !storedAfter.has(id)), [], 'file alerts that are not in the store');
  assert.deepEqual([...inWebhook].filter((id) => !storedAfter.has(id)), [], 'webhook alerts that are not in the store');

  // The server's loop exports the scores.
  let metrics = '';
  const deadline = Date.now() + 15_000;
  while (!/monitoring_alert_active\{model="mon",detector="out_of_scope"\} 1/.test(metrics) && Date.now() < deadline) {
    metrics = await (await fetch(`${url}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.match(metrics, /monitoring_drift_score\{model="mon",version="1",detector="out_of_scope"\} [\d.]+/);
  assert.match(metrics, /monitoring_alert_active\{model="mon",detector="out_of_scope"\} 1/);

  // The report, with its plots.
  const rep = runCli(['monitor', '--model', 'mon', '--report', '--no-notify', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(rep.code, 0, rep.stderr + rep.stdout);
  const md = fs.readFileSync(path.join(dir, 'outputs', 'monitoring', 'report.md'), 'utf8');
  assert.match(md, /\| out_of_scope \| .* \| \*\*drift\*\* \|/);
  for (const png of ['distributions.png', 'scores.png']) {
    const meta = await sharp(path.join(dir, 'outputs', 'monitoring', 'plots', png)).metadata();
    assert.equal(meta.format, 'png');
    assert.ok((meta.width ?? 0) > 300, `${png} is ${meta.width} px wide`);
  }

  // Capture: a bounded set of unsure / out-of-scope uploads with sidecars; labelling one records feedback.
  const capturedDir = path.join(dir, 'data', 'captured');
  const sidecars = fs.readdirSync(capturedDir).filter((f) => f.endsWith('.json'));
  assert.equal(sidecars.length, 40, 'the set stops at max_images');
  const cap = JSON.parse(fs.readFileSync(path.join(capturedDir, sidecars[0]!), 'utf8')) as { requestId: string; file: string; reasons: string[]; bytes: number };
  assert.ok(cap.reasons.some((r) => /low confidence|out of scope/.test(r)), JSON.stringify(cap));
  assert.equal(fs.statSync(path.join(capturedDir, cap.file)).size, cap.bytes);
  const bad = runCli(['data', 'label', cap.requestId, 'pizza', '--pipeline', 'pipeline.yaml', '--captured', capturedDir], { cwd: dir, env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /'pizza' is not a class of mon v1/);
  const lab = runCli(['data', 'label', cap.requestId, KNOWN[0]!, '--pipeline', 'pipeline.yaml', '--captured', capturedDir, '--by', 'tester'], { cwd: dir, env });
  assert.equal(lab.code, 0, lab.stderr);
  assert.equal((await stores.predictions.byRequest(cap.requestId))[0]!.label, KNOWN[0]);
  assert.equal((JSON.parse(fs.readFileSync(path.join(capturedDir, `${cap.requestId}.json`), 'utf8')) as { label: string }).label, KNOWN[0]);

  server.kill('SIGTERM');
  assert.equal((await done).code, 0, output);
});
