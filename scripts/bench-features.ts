/**
 * Feature-extraction throughput, cold (empty store), on a Food-101-layout data set. Not a test: speed goes to
 * BENCHMARKS.md. Each configuration runs on a fresh in-memory store.
 *
 *   node --import tsx scripts/bench-features.ts [--data DIR] [--batch 32] [--decode 32] [--threads 1,2]
 *        [--sharp 1] [--flip] [--crops 2] [--repeat 1] [--limit N]
 *
 * `--batch`, `--decode`, `--threads`, `--sharp` take comma-separated lists: every combination is measured,
 * interleaved `--repeat` times.
 * With `--flip`/`--crops`, images listed in meta/train.txt get the extra views.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures, type ExtractImage } from '../ml/features/extract.ts';
import type { FeatureKey, FeatureRow, FeatureSpace, FeatureStorePort } from '../ml/features/feature-store-port.ts';
import { loadBackbone, type Backbone } from '../ml/onnx/backbone.ts';
import { DEFAULT_PREPROCESS, configureSharp } from '../ml/preprocess/index.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.FOOD101_DIR ?? '../shared/data/food101-mini' },
    backbone: { type: 'string', default: process.env.BACKBONE_ONNX ?? '../shared/models/mobilenetv2-12-int8.onnx' },
    sha256: { type: 'string', default: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f' },
    batch: { type: 'string', default: '32' },
    decode: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    sharp: { type: 'string', default: '1' },
    flip: { type: 'boolean', default: false },
    crops: { type: 'string', default: '0' },
    repeat: { type: 'string', default: '1' },
    limit: { type: 'string' },
  },
});
const list = (s: string) => s.split(',').map(Number);

class MemoryStore implements FeatureStorePort {
  readonly rows = new Map<string, Float32Array>();
  missing = async (_s: FeatureSpace, wanted: readonly FeatureKey[]) => wanted.filter((k) => !this.rows.has(`${k.imageSha256}/${k.view}`));
  put = async (_s: FeatureSpace, rows: readonly FeatureRow[]) => rows.forEach((r) => this.rows.set(`${r.imageSha256}/${r.view}`, r.vector));
  load = async (): Promise<never> => {
    throw new Error('not used');
  };
}

const root = path.resolve(args.data);
const trainSet = new Set(fs.existsSync(path.join(root, 'meta/train.txt')) ? fs.readFileSync(path.join(root, 'meta/train.txt'), 'utf8').split('\n').filter(Boolean) : []);
const classes = fs.readdirSync(path.join(root, 'images')).sort();
let images: ExtractImage[] = classes.flatMap((c) =>
  fs
    .readdirSync(path.join(root, 'images', c))
    .sort()
    .map((f) => {
      const p = path.join(root, 'images', c, f);
      return { path: p, sha256: createHash('sha256').update(fs.readFileSync(p)).digest('hex'), train: trainSet.has(`${c}/${path.parse(f).name}`) };
    }),
);
if (args.limit) images = images.slice(0, Number(args.limit));
const views = { flip: args.flip, crops: Number(args.crops) };
console.log(
  `${images.length} images (${images.filter((i) => i.train).length} train), views ${JSON.stringify(views)}, ${os.cpus().length} cores, ` +
    `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}, node ${process.version}`,
);

// Configurations are interleaved across repeats so a noisy neighbour hurts them alike; the summary gives the median.
const backbones = new Map<number, Backbone>();
for (const threads of list(args.threads)) {
  backbones.set(threads, await loadBackbone({ path: path.resolve(args.backbone), sha256: args.sha256, featureNode: { tensor: '472_quantized', scale: '464_scale', zeroPoint: '464_zero_point' }, threads }));
}
const configs = list(args.threads).flatMap((threads) =>
  list(args.sharp).flatMap((sharpConcurrency) =>
    list(args.batch).flatMap((batchSize) => list(args.decode).map((decodeConcurrency) => ({ threads, sharpConcurrency, batchSize, decodeConcurrency }))),
  ),
);
const label = (c: (typeof configs)[number]) =>
  `ort threads ${c.threads} sharp ${c.sharpConcurrency} batch ${String(c.batchSize).padStart(3)} decode ${String(c.decodeConcurrency).padStart(3)}`;
const rates = new Map<string, number[]>();
for (let r = 0; r < Number(args.repeat); r++) {
  for (const c of configs) {
    configureSharp({ concurrency: c.sharpConcurrency, cache: false });
    const backbone = backbones.get(c.threads)!;
    const store = new MemoryStore();
    const opts = { images, spec: DEFAULT_PREPROCESS, views, backbone, store, batchSize: c.batchSize, decodeConcurrency: c.decodeConcurrency };
    const cpu0 = process.cpuUsage();
    const res = await extractFeatures(opts);
    const cpu = process.cpuUsage(cpu0);
    const warm = await extractFeatures(opts);
    const rate = images.length / res.seconds;
    rates.set(label(c), [...(rates.get(label(c)) ?? []), rate]);
    console.log(
      `${label(c)}: cold ${rate.toFixed(0).padStart(4)} images/s (${(res.computed / res.seconds).toFixed(0)} vectors/s, ${res.seconds.toFixed(2)} s, ` +
        `cpu ${((cpu.user + cpu.system) / 1e6 / res.seconds).toFixed(2)} cores, ${((cpu.user + cpu.system) / 1e3 / images.length).toFixed(1)} ms/image) | ` +
        `warm ${(warm.seconds * 1000).toFixed(0)} ms, computed ${warm.computed}`,
    );
  }
}
console.log(`\nsummary (cold images/s over ${args.repeat} runs): median / best`);
for (const [k, v] of rates) {
  const sorted = [...v].sort((a, b) => a - b);
  console.log(`${k}: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} / ${sorted[sorted.length - 1]!.toFixed(0)}`);
}
for (const b of backbones.values()) await b.dispose();
