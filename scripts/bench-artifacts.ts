/**
 * Artifact store and cache timings for one model version (model.onnx of --mb MiB, labels.json,
 * preprocessing.json): put into the store, a cold fetch into an empty cache (download + sha256), and a warm one
 * (the cache's verification only), on the filesystem store and on S3 (a local s3rver, so the network is
 * loopback: the numbers are the code's and the server's, not a cloud's).
 *
 *   node --import tsx scripts/bench-artifacts.ts [--mb 14] [--rounds 3]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ArtifactCache, materializeModel, openArtifactStore, putModelFiles } from '../artifacts/index.ts';
import { startS3Server } from '../tests/helpers/s3-server.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '14' }, rounds: { type: 'string', default: '3' } } });
const mb = Number(values.mb);
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-artifacts-'));
const s3 = await startS3Server({ buckets: ['bench'] });
try {
  const model = path.join(root, 'model');
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(model, 'model.onnx'), randomBytes(Math.round(mb * 1024 * 1024)));
  fs.writeFileSync(path.join(model, 'labels.json'), JSON.stringify(Array.from({ length: 101 }, (_, i) => `class_${i}`)));
  fs.writeFileSync(path.join(model, 'preprocessing.json'), '{"resize":256,"crop":224}');
  const ctx = { workdir: root, env: { ...process.env, ...s3.env } };
  for (const url of [`file:${path.join(root, 'store')}`, 's3://bench/models']) {
    const put: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const store = await openArtifactStore(url, ctx);
      let artifacts!: Awaited<ReturnType<typeof putModelFiles>>;
      put.push(await time(async () => (artifacts = await putModelFiles(store, { model: 'bench', dir: model }))));
      await store.close();
      const cache = new ArtifactCache({ dir: path.join(root, `cache-${r}-${url.slice(0, 2)}`), ctx });
      cold.push(await time(() => materializeModel(artifacts, cache)));
      warm.push(await time(() => materializeModel(artifacts, cache)));
    }
    const mbps = (ms: number) => ((mb / ms) * 1000).toFixed(0);
    console.log(`${url.startsWith('s3') ? 's3 (local s3rver)' : 'filesystem'}: put ${median(put).toFixed(0)} ms (${mbps(median(put))} MiB/s), cold fetch ${median(cold).toFixed(0)} ms (${mbps(median(cold))} MiB/s), warm ${median(warm).toFixed(0)} ms; median of ${rounds}, ${mb} MiB model`);
  }
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
} finally {
  await s3.close();
  fs.rmSync(root, { recursive: true, force: true });
}
