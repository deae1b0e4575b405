/**
 * A model version round trip through S3-compatible object storage, on a local server this test starts: a tiny
 * pipeline registers its exported model with `artifacts.url: s3://…` (the register step puts model.onnx,
 * labels.json and preprocessing.json and records their URIs and sha256 in the version's lineage); then, with the
 * registry's local copies deleted, a fresh `pipeline serve` process resolves the champion, fetches its files
 * from S3 into an empty cache (verified by sha256) and answers /predict with it. `registry show --photos` names
 * the photos that trained the version, from the data-versioning store.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { exited, runCli, spawnCli, waitFor } from '../helpers/cli.ts';
import { backbonePath, backboneSha256, miniDataDir } from '../helpers/paths.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import { tempDir } from '../helpers/tmp.ts';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function writePipeline(dir: string): void {
  fs.writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    `name: s3-roundtrip
data:
  root: ${JSON.stringify(miniDataDir)}
  subset: { classes: [pizza, sushi], fraction: 0.3, seed: 3 }
backbone:
  path: ${JSON.stringify(backbonePath)}
  sha256: ${backboneSha256}
  feature_node: { tensor: 472_quantized, scale: 464_scale, zero_point: 464_zero_point }
architectures:
  linear: { family: head, layers: [] }
artifacts:
  url: \${MLOPS_ARTIFACTS_URL:-experiments/artifacts}
  cache: cache/artifacts
stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features }
  grid: { step: grid, with: { architectures: [linear], params: { lr: 0.01, epochs: 4, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { winner_by: test.accuracy, refit: false } }
  export: { step: export, with: { parity_images: 2 } }
  register: { step: register, with: { model: roundtrip } }
  serve: { step: serve, with: { model: roundtrip, alias: champion, top_k: 2, poll_ms: 0 } }
`,
  );
}

interface TrainingData {
  recorded: boolean;
  version: string;
  trainedOn: string;
  trainingImages: number;
  counts: { train: number };
  photos: { path: string; className: string; split: string; fold: number | null }[];
}

interface Lineage {
  artifacts: { store: string; files: Record<string, { uri: string; sha256: string; bytes: number }> };
}

test('register puts the model into S3; a fresh server fetches it into an empty cache and answers /predict', { timeout: 420_000 }, async (t) => {
  const s3 = await startS3Server({ buckets: ['mlops-models'] });
  t.after(() => s3.close());
  const dir = tempDir(t, 'f101-s3-roundtrip-');
  writePipeline(dir);
  const env = { ...s3.env, MLOPS_ARTIFACTS_URL: 's3://mlops-models/food101' };

  const run = runCli(['run', 'pipeline.yaml', '--until', 'register'], { cwd: dir, env });
  assert.equal(run.code, 0, run.stderr + run.stdout);

  const show = runCli(['registry', 'show', 'roundtrip@champion', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(show.code, 0, show.stderr);
  const version = JSON.parse(show.stdout) as { version: number; sha256: string; lineage: Lineage };
  const { artifacts } = version.lineage;
  assert.equal(artifacts.store, 's3://mlops-models/food101');
  assert.deepEqual(Object.keys(artifacts.files).sort(), ['labels.json', 'model.onnx', 'preprocessing.json']);
  const exported = path.join(dir, 'outputs', 'model');
  for (const [name, f] of Object.entries(artifacts.files)) {
    assert.equal(f.uri, `s3://mlops-models/food101/models/roundtrip/${artifacts.files['model.onnx']!.sha256}/${name}`);
    assert.equal(f.sha256, sha(path.join(exported, name)), name);
  }
  assert.equal(artifacts.files['model.onnx']!.sha256, version.sha256, 'the registry and the artifact store agree on the model');

  // Which photos trained it: the winner's fold (no refit here), from the data-versioning store.
  const photos = runCli(['registry', 'show', 'roundtrip@champion', '--photos', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(photos.code, 0, photos.stderr);
  const { dataset } = JSON.parse(photos.stdout) as { dataset: TrainingData };
  assert.equal(dataset.recorded, true);
  assert.equal(dataset.version, (version.lineage as unknown as { dataset_version: string }).dataset_version);
  const fold = Number(/^training part of fold (\d)$/.exec(dataset.trainedOn)?.[1]);
  assert.ok(fold === 1 || fold === 2, dataset.trainedOn);
  assert.equal(dataset.photos.length, dataset.trainingImages);
  assert.ok(dataset.photos.length > 0 && dataset.photos.length < dataset.counts.train, `${dataset.photos.length} of ${dataset.counts.train}`);
  assert.ok(dataset.photos.every((p) => p.split === 'train' && p.fold !== fold && ['pizza', 'sushi'].includes(p.className)));
  // A store that never saw the split (here: its dataset version deleted) gets the version from the register step.
  const db = new Database(path.join(dir, 'experiments', 'mlops.db'));
  db.pragma('foreign_keys = ON');
  assert.equal(db.prepare('DELETE FROM dataset_versions WHERE version = ?').run(dataset.version).changes, 1);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM dataset_images').get() as { n: number }).n, 0);
  db.close();
  const again = runCli(['run', 'pipeline.yaml', '--only', 'register', '--force'], { cwd: dir, env });
  assert.equal(again.code, 0, again.stderr + again.stdout);
  const data = runCli(['data', 'show', dataset.version, '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(data.code, 0, data.stderr);
  assert.equal((JSON.parse(data.stdout) as { counts: { train: number } }).counts.train, dataset.counts.train);

  // Nothing local to fall back on: the server can only load what it fetches from S3.
  fs.rmSync(path.join(dir, 'experiments', 'registry'), { recursive: true, force: true });
  fs.rmSync(path.join(dir, 'outputs', 'model'), { recursive: true, force: true });
  const cache = path.join(dir, 'cache', 'artifacts');
  assert.equal(fs.existsSync(cache), false, 'the cache starts empty');
  const before = (await s3.requests()).length;

  const port = await freePort();
  const server = spawnCli(['serve', 'pipeline.yaml', '--port', String(port)], { cwd: dir, env });
  let output = '';
  server.stdout!.on('data', (d: Buffer) => (output += d));
  server.stderr!.on('data', (d: Buffer) => (output += d));
  const done = exited(server);
  t.after(() => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  await waitFor(() => {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}) before it was ready:\n${output}`);
    void fetch(`${url}/ready`).then((r) => (ready = r.ok), () => undefined);
    return ready;
  }, 120_000, `the server on ${url} to be ready`);

  const fetched = (await s3.requests()).slice(before).filter((r) => r.method === 'GET').map((r) => path.basename(r.path)).sort();
  assert.deepEqual(fetched, ['labels.json', 'model.onnx', 'preprocessing.json'], 'each file fetched once from S3');
  for (const f of Object.values(artifacts.files)) {
    const blob = path.join(cache, 'blobs', f.sha256.slice(0, 2), f.sha256);
    assert.equal(sha(blob), f.sha256, `cached ${f.uri} verified`);
  }

  const photo = path.join(miniDataDir, 'images', 'sushi', fs.readdirSync(path.join(miniDataDir, 'images', 'sushi')).sort()[0]!);
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(photo)], { type: 'image/jpeg' }), path.basename(photo));
  const res = await fetch(`${url}/predict`, { method: 'POST', body: form });
  const body = (await res.json()) as { model_version: number; predictions: { class: string; prob: number }[] };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(res.headers.get('x-model-version'), String(version.version));
  assert.deepEqual(body.predictions.map((p) => p.class).sort(), ['pizza', 'sushi']);
  assert.ok(Math.abs(body.predictions[0]!.prob + body.predictions[1]!.prob - 1) < 1e-3, JSON.stringify(body.predictions));

  server.kill('SIGTERM');
  const { code } = await done;
  assert.equal(code, 0, output);
});
