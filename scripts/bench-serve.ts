/**
 * Serving benchmark (not a test): our Koa service against the original FastAPI + OpenCV stack, same ONNX model,
 * same image, same load tool (wrk + the peer's post.lua), at 1 and 16 connections, then 32 connections x 1,000
 * requests for errors and our peak RSS. In the same run, alternating with the servers, the machine's compute
 * bound for that model and image (scripts/bench-compute-bound.ts: decode + preprocess + inference in a tight loop
 * on all cores), so our throughput is reported as a share of what the hardware allows. Finally 100 concurrent
 * 9 MB uploads against ours (no crash, RSS under budget, every answer 2xx/413/503). Prints Markdown for
 * BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-serve.ts [--duration 10] [--rounds 1] [--image path.jpg] [--model m.onnx --labels l.txt
 *        --preprocessing p.json] [--only ours|original] [--intra-op 1] [--uv-threads 4] [--max-batch 4]
 *        [--max-wait-ms 2] [--sharp-concurrency 1] [--inference worker|main] [--idle-threads 2] [--inference-runs 2]
 *        [--monitoring compare]
 *
 * `--monitoring compare` (issue 12) runs two of ours instead of ours and the original, alternating per round:
 * both log every prediction to a SQLite store through the batched writer (as the serve stage does); "off" logs
 * the basic record, "on" the full monitoring record (statistics, output summary, projected embedding from the
 * version's reference profile, built first from the mini set's test split) and runs the monitor loop (every 5 s,
 * windows of 200). The model must have the `features` output (an export from this version).
 *        [--no-uploads | --uploads-only]   (--uploads-only: only the 100 x 9 MB upload phase, against ours)
 *        [--log-durability compare [--store postgres://... | sqlite:path]]
 *        [--cpu-derived]
 *
 * `--log-durability compare` (issue 14) runs two of ours, alternating per round, both logging every prediction
 * to one store (a fresh SQLite file unless --store): `buffered` through the batched writer, `answered` through
 * the group-commit writer (each answer waits for its row's commit), as the serve stage builds them.
 * `--cpu-derived` leaves intra-op threads, lone-request threads, max batch and UV_THREADPOOL_SIZE to what the
 * server derives from the CPU it is given; `--cpus 0` (or `0,1`) pins our server (not wrk) with taskset, to see
 * vertical scaling at 1 and 2 cores.
 *
 * Needs: apt-get install -y python3-fastapi python3-uvicorn python3-opencv python3-multipart wrk
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeModel, encodeModel } from '../ml/onnx/proto.ts';
import { pruneToOutputs } from '../ml/onnx/prune.ts';
import { cpuBudget, derivedThreads } from '../server/cpu-budget.ts';
import { childUrl, cpuSeconds, median, waitHealthy, wrk as wrkWith, type WrkResult } from './bench-lib.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(repoRoot, '../shared');
const peerDir = path.join(shared, 'peers/original-stack');
const wrk = (url: string, image: string, connections: number, duration: number): Promise<WrkResult> => wrkWith(url, image, connections, duration, path.join(peerDir, 'post.lua'));
const IMAGENET_SPEC = { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], kernel: 'linear' };

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    dir: { type: 'string' },
    sha: { type: 'string' },
    model: { type: 'string', default: process.env.BACKBONE_ONNX ?? path.join(shared, 'models/mobilenetv2-12-int8.onnx') },
    labels: { type: 'string', default: path.join(shared, 'models/imagenet_classes.txt') },
    preprocessing: { type: 'string' },
    image: { type: 'string' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
    'intra-op': { type: 'string', default: '1' },
    'idle-threads': { type: 'string', default: '2' },
    'inference-runs': { type: 'string', default: '2' },
    'uv-threads': { type: 'string', default: '4' },
    'max-batch': { type: 'string', default: '4' },
    'max-wait-ms': { type: 'string', default: '2' },
    'sharp-concurrency': { type: 'string', default: '1' },
    inference: { type: 'string', default: 'worker' },
    'no-bound': { type: 'boolean', default: false },
    'no-uploads': { type: 'boolean', default: false },
    monitoring: { type: 'string' },
    store: { type: 'string' },
    'uploads-only': { type: 'boolean', default: false },
    'log-durability': { type: 'string' },
    log: { type: 'string' },
    'cpu-derived': { type: 'boolean', default: false },
    cpus: { type: 'string' },
  },
});

/** Child mode: our server, alone in its process so its RSS is its own. */
async function runChild(): Promise<void> {
  const sharp = (await import('sharp')).default;
  sharp.concurrency(Number(args['sharp-concurrency']));
  sharp.cache(false); // as the serve stage does
  const { startServer } = await import('../server/start.ts');
  const { staticModelSource } = await import('../server/model-source.ts');
  const monitoring = args.monitoring === 'on' || args.monitoring === 'off' ? await monitoringChild(args.monitoring) : args.log ? await logChild(args.log) : {};
  const derived = args['cpu-derived'] === true;
  const srv = await startServer({
    ...monitoring,
    port: 0,
    modelName: 'bench',
    source: staticModelSource('bench', [{ version: 1, dir: args.dir!, modelFile: 'model.onnx', sha256: args.sha! }], { champion: 1 }),
    pollMs: 0,
    waitForModel: true,
    ...(derived ? {} : { intraOpNumThreads: Number(args['intra-op']), idleIntraOpNumThreads: Number(args['idle-threads']), inferenceRuns: Number(args['inference-runs']), maxBatch: Number(args['max-batch']) }),
    inferenceThread: args.inference === 'main' ? 'main' : 'worker',
    maxWaitMs: Number(args['max-wait-ms']),
    logger: { debug() {}, info() {}, warn: (m) => console.error(m), error: (m) => console.error(m) },
  });
  process.stdout.write(`LISTENING ${srv.url}\n`);
  // Die with the benchmark: its end of our stdin closes when it exits, however it exits.
  process.stdin.on('end', () => void srv.close().then(() => process.exit(0)));
  process.stdin.resume();
}

/** The child's prediction log (and, `on`, its monitoring) on the store the parent prepared. */
async function monitoringChild(mode: 'on' | 'off') {
  const { openStores } = await import('../stores/index.ts');
  const { createBatchedWriter } = await import('../stores/batched-writer.ts');
  const stores = await openStores({ url: args.store!, registryDir: path.join(os.tmpdir(), 'bench-registry') });
  const predictionLog = createBatchedWriter(stores.predictions, { maxRows: 256, maxDelayMs: 500, maxQueued: 20_000 });
  if (mode === 'off') return { predictionLog };
  const { projectionCache } = await import('../server/projection-cache.ts');
  const { startMonitorLoop } = await import('../server/monitor-loop.ts');
  const log = { debug() {}, info() {}, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };
  return {
    predictionLog,
    monitoring: { projection: projectionCache(stores.monitoring) },
    startMonitor: (metrics: Parameters<typeof startMonitorLoop>[1]) =>
      startMonitorLoop({ stores, model: 'bench', intervalMs: 5000, windowRequests: 200, config: {}, sinks: [], retrainCommand: 'n/a', log }, metrics),
  };
}

/** The child's prediction log for `--log-durability compare`, built as the serve stage builds it. */
async function logChild(durability: string) {
  const { openStores } = await import('../stores/index.ts');
  const { predictionWriter } = await import('../steps/serve/prediction-writer.ts');
  const stores = await openStores({ url: args.store!, registryDir: path.join(os.tmpdir(), 'bench-registry') });
  const log = { warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };
  return { predictionLog: predictionWriter(stores.predictions, durability === 'answered' ? 'answered' : 'buffered', 5000, log) };
}

/** A SQLite store holding the reference profile of `bench` v1 (the model under test), from the mini set. */
async function prepareMonitoringStore(modelDir: string): Promise<string> {
  const { openStores } = await import('../stores/index.ts');
  const { buildVersionProfile } = await import('../monitor/build-profile.ts');
  const mini = path.join(shared, 'data/food101-mini');
  const labels = JSON.parse(fs.readFileSync(path.join(modelDir, 'labels.json'), 'utf8')) as string[];
  const photos = (split: string) => Object.entries(JSON.parse(fs.readFileSync(path.join(mini, 'meta', `${split}.json`), 'utf8')) as Record<string, string[]>)
    .filter(([c]) => labels.includes(c)).flatMap(([c, ids]) => ids.map((id) => ({ file: path.join(mini, 'images', `${id}.jpg`), label: c })));
  const url = `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mon-')), 'mlops.db')}`;
  const stores = await openStores({ url, registryDir: path.join(os.tmpdir(), 'bench-registry') });
  await stores.monitoring.putProfile('bench', 1, await buildVersionProfile({ modelDir, test: photos('test'), train: photos('train'), log: (m) => console.error(m) }));
  await stores.close();
  return url;
}

function vm(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startOurs(monitoring?: { mode: 'on' | 'off'; store: string } | { log: 'answered' | 'buffered'; store: string }): Promise<{ url: string; proc: ChildProcess }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serve-'));
  fs.symlinkSync(path.resolve(args.model!), path.join(dir, 'model.onnx'));
  const labelsText = fs.readFileSync(args.labels!, 'utf8');
  const labels = args.labels!.endsWith('.json') ? JSON.parse(labelsText) : labelsText.split('\n');
  fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(labels));
  fs.writeFileSync(path.join(dir, 'preprocessing.json'), args.preprocessing ? fs.readFileSync(args.preprocessing, 'utf8') : JSON.stringify(IMAGENET_SPEC));
  const sha = createHash('sha256').update(fs.readFileSync(args.model!)).digest('hex');
  const self = fileURLToPath(import.meta.url);
  const childArgs = [...(monitoring ? ['mode' in monitoring ? '--monitoring' : '--log', 'mode' in monitoring ? monitoring.mode : monitoring.log, '--store', monitoring.store] : []), ...(args['cpu-derived'] ? ['--cpu-derived'] : []), '--child', '--dir', dir, '--sha', sha, '--intra-op', args['intra-op']!, '--idle-threads', args['idle-threads']!, '--inference-runs', args['inference-runs']!, '--max-batch', args['max-batch']!, '--max-wait-ms', args['max-wait-ms']!, '--sharp-concurrency', args['sharp-concurrency']!, '--inference', args.inference!];
  const node = [process.execPath, '--import', 'tsx', self, ...childArgs];
  const pinned = args.cpus ? ['taskset', '-c', args.cpus, ...node] : node;
  // As the images' entry point does: libuv's pool from the CPUs the server will have.
  const given = cpuBudget(args.cpus ? { affinity: args.cpus.split(',').length } : {});
  const proc = spawn(pinned[0]!, pinned.slice(1), {
    cwd: repoRoot,
    env: { ...process.env, UV_THREADPOOL_SIZE: args['cpu-derived'] ? String(derivedThreads(given).uvThreadpool) : args['uv-threads'] },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await childUrl(proc, 'our server');
  return { url, proc };
}

/**
 * The model the original stack can serve: OpenCV's `net.forward()` returns the graph's first output, and our exports
 * add a second one (`features`, for monitoring), which it would read as 1280 logits (every answer an IndexError).
 * The same graph pruned to `logits` only: the backbone and head the original runs are exactly ours.
 */
function logitsOnly(file: string): string {
  const model = decodeModel(fs.readFileSync(file));
  if ((model.graph?.output ?? []).map((o) => o.name).join() === 'logits') return file;
  const out = path.join(os.tmpdir(), `bench-logits-only-${process.pid}.onnx`);
  fs.writeFileSync(out, encodeModel(pruneToOutputs(model, ['logits'])));
  console.log(`the original stack serves ${path.basename(file)} pruned to its 'logits' output (OpenCV reads the first output only)`);
  return out;
}

async function startOriginal(): Promise<{ url: string; proc: ChildProcess }> {
  const port = 8101;
  const labels = args.labels!.endsWith('.json')
    ? (() => {
        const f = path.join(os.tmpdir(), `bench-labels-${process.pid}.txt`);
        fs.writeFileSync(f, (JSON.parse(fs.readFileSync(args.labels!, 'utf8')) as string[]).join('\n'));
        return f;
      })()
    : args.labels!;
  const proc = spawn('/usr/bin/python3', ['-m', 'uvicorn', 'server:app', '--port', String(port), '--log-level', 'warning', '--workers', '1'], {
    cwd: peerDir,
    env: { ...process.env, MODEL: logitsOnly(path.resolve(args.model!)), LABELS: path.resolve(labels) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, proc);
  return { url, proc };
}

function defaultImage(): string {
  const root = path.join(shared, 'data/food101-mini/images/pizza');
  return path.join(root, fs.readdirSync(root).sort()[0]!);
}

/** Sum and count of our batch-size histogram (NaN for the original, which has no /metrics). */
async function batchStats(url: string): Promise<[number, number]> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return [Number(/inference_batch_size_sum (\S+)/.exec(text)?.[1]), Number(/inference_batch_size_count (\S+)/.exec(text)?.[1])];
  } catch {
    return [NaN, NaN];
  }
}

async function measure(name: string, url: string, image: string, duration: number, pid?: number) {
  await wrk(url, image, 4, 2); // warm-up
  const c1 = await wrk(url, image, 1, duration);
  const cpu0 = pid ? cpuSeconds(pid) : NaN;
  const [bs0, bc0] = name.startsWith('ours') ? await batchStats(url) : [NaN, NaN];
  const c16 = await wrk(url, image, 16, duration);
  const [bs1, bc1] = name.startsWith('ours') ? await batchStats(url) : [NaN, NaN];
  const meanBatch = (bs1 - bs0) / (bc1 - bc0);
  // CPU time per request is what bounds throughput on a shared 2-core box, and it is robust to other load.
  const cpuMs = pid ? ((cpuSeconds(pid) - cpu0) * 1000) / c16.requests : NaN;
  // wrk only knows durations: run 32 connections long enough for at least ~1,000 requests at the c=16 rate.
  const c32 = await wrk(url, image, 32, Math.max(3, Math.ceil((1000 / c16.rps) * 1.2)));
  const rss = pid ? vm(pid, 'VmHWM') : NaN;
  return { name, c1, c16, c32, rss, cpuMs, meanBatch, load: os.loadavg()[0]! };
}

type Row = Awaited<ReturnType<typeof measure>>;


/** Images/s of decode + preprocess + inference on all cores, no server (a child process, so nothing else shares it). */
function computeBound(image: string, duration: number): Promise<{ imagesPerSec: number; cpuMsPerImage: number }> {
  const argv = ['--import', 'tsx', path.join(repoRoot, 'scripts/bench-compute-bound.ts'), '--model', path.resolve(args.model!), '--image', image, '--duration', String(duration)];
  if (args.preprocessing) argv.push('--preprocessing', path.resolve(args.preprocessing));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { cwd: repoRoot, env: { ...process.env, UV_THREADPOOL_SIZE: args['uv-threads'] } }, (err, stdout) => {
      if (err) return reject(err);
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as { imagesPerSec: number; cpuMsPerImage: number });
    });
  });
}

/** 100 concurrent uploads of ~9 MB (the photo padded after its end marker) against ours: statuses and peak RSS. */
async function bigUploads(url: string, pid: number, image: string): Promise<{ statuses: Record<string, number>; peakRss: number; seconds: number }> {
  const photo = fs.readFileSync(image);
  const body = Buffer.concat([photo, Buffer.alloc(9 * 1024 * 1024 - photo.length)]);
  let peakRss = vm(pid, 'VmRSS');
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, vm(pid, 'VmRSS'))), 25);
  const t0 = performance.now();
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      const form = new FormData();
      form.append('file', new Blob([body], { type: 'image/jpeg' }), 'big.jpg');
      let status = 'error';
      try {
        const res = await fetch(`${url}/predict`, { method: 'POST', body: form });
        await res.arrayBuffer();
        status = String(res.status);
      } catch (err) {
        status = `error (${(err as Error).message})`;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
  );
  clearInterval(sampler);
  return { statuses, peakRss: Math.max(peakRss, vm(pid, 'VmRSS')), seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const image = path.resolve(args.image ?? defaultImage());
  const duration = Number(args.duration);
  const rounds = Math.max(1, Number(args.rounds));
  const rows: (Row & { round: number })[] = [];
  const bounds: { round: number; imagesPerSec: number; cpuMsPerImage: number; load: number }[] = [];
  let uploads: Awaited<ReturnType<typeof bigUploads>> | undefined;
  let cpuReport: unknown;
  const procs: ChildProcess[] = [];
  const killAll = () => procs.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (killAll(), process.exit(130)));
  try {
    // Both stay up; rounds alternate between them so that other load on a shared machine hits both alike.
    const compare = args.monitoring === 'compare';
    const durability = args['log-durability'] === 'compare';
    const uploadsOnly = args['uploads-only'] === true;
    const store = compare ? await prepareMonitoringStore(path.dirname(path.resolve(args.model!))) : durability ? args.store ?? `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-log-')), 'mlops.db')}` : '';
    const ours = compare ? await startOurs({ mode: 'off', store }) : durability ? await startOurs({ log: 'buffered', store }) : args.only !== 'original' ? await startOurs() : undefined;
    const original = compare ? await startOurs({ mode: 'on', store }) : durability ? await startOurs({ log: 'answered', store }) : args.only !== 'ours' && !uploadsOnly ? await startOriginal() : undefined;
    for (const s of [ours, original]) if (s) procs.push(s.proc);
    if (ours) cpuReport = ((await (await fetch(`${ours.url}/models`)).json()) as { cpu: unknown }).cpu;
    for (let round = 1; round <= (uploadsOnly ? 0 : rounds); round++) {
      if (ours) rows.push({ round, ...(await measure(compare ? 'ours, monitoring off' : durability ? 'ours, log buffered' : 'ours (Koa + onnxruntime-node)', ours.url, image, duration, ours.proc.pid)) });
      if (args['no-bound'] !== true) bounds.push({ round, ...(await computeBound(image, duration)), load: os.loadavg()[0]! });
      if (original) rows.push({ round, ...(await measure(compare ? 'ours, monitoring on' : durability ? 'ours, log answered' : 'original (FastAPI + OpenCV dnn)', original.url, image, duration, original.proc.pid)) });
    }
    if (ours && args['no-uploads'] !== true) uploads = await bigUploads(ours.url, ours.proc.pid!, image);
  } finally {
    killAll();
  }

  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const stat = fs.statSync(image);
  console.log(`\nModel \`${path.basename(args.model!)}\`, image \`${path.relative(shared, image)}\` (${(stat.size / 1024).toFixed(0)} KB), ` +
    `${os.cpus().length} cores${args.cpus ? ` (ours pinned to CPU ${args.cpus})` : ''}${args['cpu-derived'] ? ', ours with the settings derived from its CPUs (GET /models cpu.running below)' : ''}, wrk + post.lua, ${duration} s per run, ${rounds} round(s); ours: inference on the ${args.inference} thread, ${args['cpu-derived'] ? 'threads, batch and libuv pool derived' : `intra-op ${args['intra-op']} (lone requests: ${args['idle-threads']}), ${args['inference-runs']} inference worker(s), UV_THREADPOOL_SIZE ${args['uv-threads']}, maxBatch ${args['max-batch']}`}, ` +
    `maxWaitMs ${args['max-wait-ms']}, sharp concurrency ${args['sharp-concurrency']}.\n`);
  console.log('| server | round | c=1 p50 ms | c=1 p99 ms | c=1 req/s | c=16 p50 ms | c=16 p99 ms | c=16 req/s | c=16 CPU ms/req | c=16 mean batch | c=32 requests | c=32 p99 ms | errors (all runs) | peak RSS MB | load avg after |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const line = (name: string, round: string, r: { c1p50: number; c1p99: number; c1rps: number; c16p50: number; c16p99: number; c16rps: number; cpuMs: number; meanBatch: number; c32n: number; c32p99: number; errors: number; rss: number; load: number }) =>
    console.log(
      `| ${name} | ${round} | ${f(r.c1p50, 2)} | ${f(r.c1p99, 2)} | ${f(r.c1rps)} | ${f(r.c16p50, 2)} | ${f(r.c16p99, 2)} | ${f(r.c16rps)} | ${f(r.cpuMs, 2)} | ${f(r.meanBatch, 2)} | ` +
        `${f(r.c32n, 0)} | ${f(r.c32p99, 2)} | ${f(r.errors, 0)} | ${f(r.rss, 0)} | ${f(r.load, 1)} |`,
    );
  const flat = (r: Row) => ({
    c1p50: r.c1.p50, c1p99: r.c1.p99, c1rps: r.c1.rps, c16p50: r.c16.p50, c16p99: r.c16.p99, c16rps: r.c16.rps, cpuMs: r.cpuMs,
    meanBatch: r.meanBatch, c32n: r.c32.requests, c32p99: r.c32.p99, errors: r.c1.errors + r.c16.errors + r.c32.errors, rss: r.rss, load: r.load,
  });
  const names = [...new Set(rows.map((r) => r.name))];
  for (const r of rows) line(r.name, String(r.round), flat(r));
  const medians = new Map<string, ReturnType<typeof flat>>();
  for (const name of names) {
    const mine = rows.filter((r) => r.name === name).map(flat);
    const m = Object.fromEntries(Object.keys(mine[0]!).map((k) => [k, median(mine.map((x) => x[k as keyof typeof x]))])) as ReturnType<typeof flat>;
    m.errors = mine.reduce((a, x) => a + x.errors, 0);
    m.rss = Math.max(...mine.map((x) => x.rss));
    medians.set(name, m);
    if (rounds > 1) line(`**${name}**`, 'median', m);
  }
  const [ours, orig] = [[...medians].find(([n]) => n.startsWith('ours'))?.[1], [...medians].find(([n]) => n.startsWith('original'))?.[1]];
  if (bounds.length) {
    console.log(`\nCompute bound (decode + preprocess + inference, all cores, no server), per round: ${bounds.map((b) => `${f(b.imagesPerSec)} images/s, ${f(b.cpuMsPerImage, 2)} CPU ms/image (load ${f(b.load)})`).join('; ')}.`);
    if (ours) {
      const shares = bounds.map((b) => {
        const o = rows.find((r) => r.round === b.round && r.name.startsWith('ours'));
        return o ? `${((100 * o.c16.rps) / b.imagesPerSec).toFixed(0)}%` : 'n/a';
      });
      console.log(`Ours at c=16 as a share of the bound measured right after it: ${shares.join('; ')} (median ${((100 * ours.c16rps) / median(bounds.map((b) => b.imagesPerSec))).toFixed(0)}%, target >= 80%).`);
      const cpuShare = (100 * median(bounds.map((b) => b.cpuMsPerImage))) / ours.cpuMs;
      console.log(`CPU per image: bound ${f(median(bounds.map((b) => b.cpuMsPerImage)), 2)} ms, ours ${f(ours.cpuMs, 2)} ms per request at c=16: ours is ${cpuShare.toFixed(0)}% as CPU-efficient (the share of the bound ours would reach with the same CPU; robust to other load).`);
    }
  }
  if (uploads) {
    console.log(`\n100 concurrent 9 MB uploads to ours: ${JSON.stringify(uploads.statuses)} in ${f(uploads.seconds)} s, peak RSS ${f(uploads.peakRss, 0)} MB.`);
  }
  if (args['cpu-derived']) console.log(`\nOurs, GET /models cpu: \`${JSON.stringify(cpuReport)}\``);
  const buffered = medians.get('ours, log buffered');
  const answered = medians.get('ours, log answered');
  if (buffered && answered) {
    console.log(`\nLog durability on ${args.store ? args.store.replace(/:\/\/[^@]*@/, '://') : 'a fresh SQLite file'}: answered vs buffered, c=1 p50 ${f(answered.c1p50, 2)} vs ${f(buffered.c1p50, 2)} ms (${f(answered.c1p50 - buffered.c1p50, 2)} ms more), c=16 ${f((100 * answered.c16rps) / buffered.c16rps)}% of the throughput, p99 ${f(answered.c16p99, 2)} vs ${f(buffered.c16p99, 2)} ms${rounds > 1 ? ' (medians)' : ''}.`);
  }
  const off = medians.get('ours, monitoring off');
  const on = medians.get('ours, monitoring on');
  if (off && on) {
    const perRound = Array.from({ length: rounds }, (_, i) => {
      const [a, b] = [rows.find((r) => r.round === i + 1 && r.name === 'ours, monitoring off')!, rows.find((r) => r.round === i + 1 && r.name === 'ours, monitoring on')!];
      return `${((100 * b.c16.rps) / a.c16.rps).toFixed(0)}% (load ${f(b.load)})`;
    });
    console.log(`
Monitoring on vs off at c=16: ${((100 * on.c16rps) / off.c16rps).toFixed(1)}% of the throughput (target >= 90%), CPU ms/req ${f(on.cpuMs, 2)} vs ${f(off.cpuMs, 2)}${rounds > 1 ? ' (medians)' : ''}; per round: ${perRound.join('; ')}.`);
  }
  if (ours && orig && !(off && on) && !(buffered && answered)) {
    const perRound = Array.from({ length: rounds }, (_, i) => {
      const [o, g] = [rows.find((r) => r.round === i + 1 && r.name.startsWith('ours'))!, rows.find((r) => r.round === i + 1 && r.name.startsWith('original'))!];
      return `${(o.c16.rps / g.c16.rps).toFixed(1)}x / ${(o.c1.p50 / g.c1.p50).toFixed(2)}`;
    });
    console.log(`\nc=16 throughput: ${(ours.c16rps / orig.c16rps).toFixed(1)}x the original (target >= 6x); ` +
      `c=1 p50: ${(ours.c1p50 / orig.c1p50).toFixed(2)} of the original's (target <= 0.25)${rounds > 1 ? ' (medians)' : ''}.`);
    if (rounds > 1) console.log(`Per round (c=16 ratio / c=1 p50 ratio): ${perRound.join('; ')}.`);
    for (const [name, m] of [['ours', ours], ['the original', orig]] as const) {
      if (m.errors > 0) console.log(`WARNING: ${name} answered ${m.errors} requests with an error: its figures above are not comparable.`);
    }
  }
}

if (args.child) await runChild();
else await main();
