/**
 * The machine's compute bound for serving one model and one image: decode + preprocess + inference in a tight
 * loop on all cores, no HTTP, no JSON, no logging (not a test). `workers` threads each decode a batch of the image
 * (sharp, one libvips thread per image, on libuv's pool) and run it through onnxruntime (1 intra-op thread, no
 * spinning), so decoding of one worker overlaps inference of the other. Prints one JSON line:
 * `{ "imagesPerSec": ..., "cpuMsPerImage": ..., "workers": ..., "batch": ..., "seconds": ... }`. `scripts/bench-serve.ts` runs it in the
 * same run as the servers and reports their throughput as a share of it.
 *
 *   node --import tsx scripts/bench-compute-bound.ts --model m.onnx --image photo.jpg [--preprocessing p.json]
 *        [--duration 10] [--workers <cores>] [--batch 8]
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const DEFAULT_SPEC = { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], kernel: 'linear' };

interface Job {
  model: string;
  image: string;
  spec: Record<string, unknown>;
  batch: number;
}

/** Loads and warms up, says 'ready', waits for 'go' (the end time), then counts images until then. */
async function work(job: Job): Promise<number> {
  const ort = await import('onnxruntime-node');
  const { configureSharp, decodeForViews, resolvePreprocessSpec, toTensor, normalisationTables } = await import('../ml/preprocess/index.ts');
  configureSharp();
  const spec = resolvePreprocessSpec(job.spec as never);
  const session = await ort.InferenceSession.create(job.model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const bytes = fs.readFileSync(job.image);
  const per = 3 * spec.crop * spec.crop;
  const batch = new Float32Array(job.batch * per);
  const tables = normalisationTables(spec);
  const input = session.inputNames[0]!;
  let images = 0;
  const round = async () => {
    const raws = await Promise.all(Array.from({ length: job.batch }, () => decodeForViews(bytes, spec)));
    raws.forEach((raw, i) => toTensor(raw, spec, undefined, batch, i * per, tables));
    await session.run({ [input]: new ort.Tensor('float32', batch, [job.batch, 3, spec.crop, spec.crop]) });
  };
  await round(); // warm-up
  parentPort!.postMessage('ready');
  const until = await new Promise<number>((resolve) => parentPort!.once('message', resolve));
  while (Date.now() < until) {
    await round();
    images += job.batch;
  }
  await session.release();
  return images;
}

if (!isMainThread) {
  parentPort!.postMessage(await work(workerData as Job));
  parentPort!.close();
} else {
  const { values: a } = parseArgs({
    options: {
      model: { type: 'string' },
      image: { type: 'string' },
      preprocessing: { type: 'string' },
      duration: { type: 'string', default: '10' },
      workers: { type: 'string', default: String(os.availableParallelism()) },
      batch: { type: 'string', default: '8' },
    },
  });
  if (!a.model || !a.image) throw new Error('bench-compute-bound: --model and --image are required');
  const spec = a.preprocessing ? JSON.parse(fs.readFileSync(a.preprocessing, 'utf8')) : DEFAULT_SPEC;
  delete spec.id;
  const seconds = Number(a.duration);
  const workers = Number(a.workers);
  const batch = Number(a.batch);
  // Workers load and warm up; the clock runs from when all are ready.
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./compute-bound-worker.mjs', import.meta.url), { workerData: { model: a.model!, image: a.image!, spec, batch } satisfies Job, execArgv: [] }));
  await Promise.all(pool.map((w) => new Promise<void>((resolve, reject) => (w.once('message', () => resolve()), w.once('error', reject)))));
  const t0 = Date.now();
  // CPU of the whole process (every thread) over the measured window: robust to other load on a shared machine.
  const cpu0 = process.cpuUsage();
  const counts = await Promise.all(
    pool.map((w) => {
      const done = new Promise<number>((resolve, reject) => (w.once('message', resolve), w.once('error', reject)));
      w.postMessage(t0 + seconds * 1000);
      return done;
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  const images = counts.reduce((x, y) => x + y, 0);
  const cpu = process.cpuUsage(cpu0);
  const cpuMsPerImage = (cpu.user + cpu.system) / 1000 / images;
  console.log(JSON.stringify({ imagesPerSec: images / elapsed, cpuMsPerImage, workers, batch, seconds: elapsed, images }));
}
