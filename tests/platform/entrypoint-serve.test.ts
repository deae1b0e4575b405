/**
 * The serving image's command, for real: `bash platform/docker/entrypoint.sh serve` starts the server on PORT,
 * answers /health and /predict with a Food-101 photo, and stops with exit 0 on SIGTERM. No Docker here, so the
 * test lays out an app directory like the image's /app (sources linked, pipelines/ and experiments/ real) and
 * registers the cheapest model that serves: a tiny ONNX classifier built in code.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { openStores } from '../../stores/index.ts';
import { exited, waitFor } from '../helpers/cli.ts';
import { backbonePath, miniDataDir, repoRoot } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tinyVersion } from '../server/fixtures.ts';
import { entrypoint } from './support/entrypoint.ts';

const LABELS = ['apple_pie', 'pizza', 'sushi'];

/** An /app like the serving image's: the code linked from the checkout, pipelines/ and experiments/ its own. */
function appDir(root: string): string {
  const app = path.join(root, 'app');
  fs.mkdirSync(path.join(app, 'pipelines'), { recursive: true });
  for (const entry of ['app', 'lib', 'bin', 'runner', 'steps', 'ml', 'stores', 'artifacts', 'server', 'node_modules', 'package.json', 'tsconfig.json']) {
    fs.symlinkSync(path.join(repoRoot, entry), path.join(app, entry));
  }
  // A copy, not a link: the pipeline's workdir (and so experiments/) resolves against the file's own folder.
  fs.copyFileSync(path.join(repoRoot, 'pipelines', 'food101.yaml'), path.join(app, 'pipelines', 'food101.yaml'));
  return app;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

test('entrypoint.sh serve: serves the champion on PORT, predicts a Food-101 photo, exits 0 on SIGTERM', { timeout: 180_000 }, async (t) => {
  const root = tempDir(t, 'f101-entry-serve-');
  const app = appDir(root);
  const experiments = path.join(app, 'experiments');
  const version = tinyVersion(path.join(root, 'model'), 1, LABELS, 1);
  const stores = await openStores({ url: `sqlite:${path.join(experiments, 'mlops.db')}`, registryDir: path.join(experiments, 'registry') });
  try {
    const v = await stores.registry.register({ name: 'food101', sourceDir: version.dir, metrics: { 'test.accuracy': 0.5 } });
    assert.deepEqual(v.aliases, ['champion']);
  } finally {
    await stores.close();
  }

  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn('bash', [entrypoint, 'serve'], {
    env: {
      ...process.env,
      APP_DIR: app,
      PORT: String(port),
      HOST: '127.0.0.1',
      MODEL_NAME: 'food101',
      MODEL_ALIAS: 'champion',
      FOOD101_DIR: miniDataDir,
      BACKBONE_ONNX: backbonePath,
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const done = exited(child);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  const poll = async () => {
    try {
      ready = (await fetch(`${url}/ready`)).ok;
    } catch {
      /* not listening yet */
    }
  };
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}) before it was ready:\n${output}`);
    void poll();
    return ready;
  }, 120_000, `the server on ${url} to be ready\n${output}`);

  const health = (await (await fetch(`${url}/health`)).json()) as { model_name: string; model_version: number };
  assert.equal(health.model_name, 'food101');
  assert.equal(health.model_version, 1);

  const photo = path.join(miniDataDir, 'images', 'pizza', fs.readdirSync(path.join(miniDataDir, 'images', 'pizza'))[0]);
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(photo)], { type: 'image/jpeg' }), path.basename(photo));
  const res = await fetch(`${url}/predict`, { method: 'POST', body: form });
  const body = (await res.json()) as { predictions: { class: string; prob: number }[] };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(res.headers.get('x-model-version'), '1');
  assert.equal(res.headers.get('x-model-alias'), 'champion');
  assert.equal(body.predictions[0].class, 'pizza', 'the tiny model always answers its winner class');
  const probs = body.predictions.map((p) => p.prob);
  assert.deepEqual(probs, [...probs].sort((a, b) => b - a), 'sorted by probability');

  child.kill('SIGTERM');
  const { code, signal } = await done;
  assert.equal(signal, null, `killed by ${signal}; output:\n${output}`);
  assert.equal(code, 0, `exit ${code} after SIGTERM; output:\n${output}`);
});
