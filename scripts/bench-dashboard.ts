/**
 * Does an open dashboard slow the server down? One server (the serve stage's set-up: prediction log batched into a
 * SQLite store, dashboard on) in a child process; wrk at 16 connections, alternating runs with the dashboard closed
 * and open. "Open" is what the page costs the server: one /events stream read to the end (a snapshot a second)
 * plus /dashboard/api/history?range=5m every 5 s (the page asks every 15 s: three times harsher here) and
 * /dashboard/api/live once. The browser itself is not run here: on a real deployment it is on someone else's
 * machine, and on this 2-core box it would compete with the server for CPU. Prints Markdown for BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-dashboard.ts [--duration 10] [--rounds 2] [--image path.jpg]
 *
 * Needs: wrk (apt-get install wrk).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childUrl, cpuSeconds, median, waitHealthy, wrk } from './bench-lib.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(repoRoot, '../shared');
const postLua = path.join(shared, 'peers/original-stack/post.lua');
const IMAGENET_SPEC = { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], kernel: 'linear' };

const { values: args } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    dir: { type: 'string' },
    sha: { type: 'string' },
    model: { type: 'string', default: process.env.BACKBONE_ONNX ?? path.join(shared, 'models/mobilenetv2-12-int8.onnx') },
    labels: { type: 'string', default: path.join(shared, 'models/imagenet_classes.txt') },
    image: { type: 'string' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});

/** Child mode: the server as the serve stage builds it (batched prediction log into a store, dashboard on). */
async function runChild(): Promise<void> {
  const sharp = (await import('sharp')).default;
  sharp.concurrency(1);
  sharp.cache(false);
  const { startServer } = await import('../server/start.ts');
  const { staticModelSource } = await import('../server/model-source.ts');
  const { openStores } = await import('../stores/index.ts');
  const { createBatchedWriter } = await import('../stores/batched-writer.ts');
  const stores = await openStores({ url: `sqlite:${path.join(args.dir!, 'mlops.db')}`, registryDir: path.join(args.dir!, 'registry') });
  const predictionLog = createBatchedWriter(stores.predictions, { maxRows: 256, maxDelayMs: 500, maxQueued: 20_000 });
  const srv = await startServer({
    port: 0,
    modelName: 'bench',
    source: staticModelSource('bench', [{ version: 1, dir: args.dir!, modelFile: 'model.onnx', sha256: args.sha! }], { champion: 1 }),
    pollMs: 0,
    waitForModel: true,
    idleIntraOpNumThreads: 2,
    predictionLog,
    predictionStore: stores.predictions,
    dashboard: { enabled: true, adminToken: 'bench-token-0123456789' },
    logger: { debug() {}, info() {}, warn: (m) => console.error(m), error: (m) => console.error(m) },
  });
  process.stdout.write(`LISTENING ${srv.url}\n`);
  process.stdin.on('end', () => void srv.close().then(() => stores.close()).then(() => process.exit(0)));
  process.stdin.resume();
}

async function startServerChild(): Promise<{ url: string; proc: ChildProcess; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-'));
  fs.symlinkSync(path.resolve(args.model!), path.join(dir, 'model.onnx'));
  fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(fs.readFileSync(args.labels!, 'utf8').split('\n')));
  fs.writeFileSync(path.join(dir, 'preprocessing.json'), JSON.stringify(IMAGENET_SPEC));
  const sha = createHash('sha256').update(fs.readFileSync(args.model!)).digest('hex');
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--dir', dir, '--sha', sha], {
    cwd: repoRoot,
    env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await childUrl(proc, 'the server');
  return { url, proc, dir };
}

/** What an open page asks of the server; returns a stop function and the counts. */
function openDashboard(url: string) {
  const counts = { snapshots: 0, snapshotBytes: 0, histories: 0, historyMs: [] as number[] };
  const req = http.get(`${url}/events`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      counts.snapshots += c.match(/event: snapshot/g)?.length ?? 0;
      counts.snapshotBytes += Buffer.byteLength(c);
    });
  });
  req.on('error', () => {});
  void fetch(`${url}/dashboard/api/live`).then((r) => r.arrayBuffer());
  const poll = async () => {
    const t0 = performance.now();
    const r = await fetch(`${url}/dashboard/api/history?range=5m`);
    await r.arrayBuffer();
    counts.histories++;
    counts.historyMs.push(performance.now() - t0);
  };
  void poll();
  const timer = setInterval(() => void poll().catch(() => {}), 5000);
  return { counts, stop: () => (clearInterval(timer), req.destroy()) };
}

async function main(): Promise<void> {
  const image = path.resolve(args.image ?? path.join(shared, 'data/food101-mini/images/pizza', fs.readdirSync(path.join(shared, 'data/food101-mini/images/pizza')).sort()[0]!));
  const duration = Number(args.duration);
  const rounds = Math.max(1, Number(args.rounds));
  const server = await startServerChild();
  const kill = () => server.proc.exitCode === null && server.proc.kill('SIGKILL');
  process.once('exit', kill);
  const rows: { round: number; mode: 'closed' | 'open'; rps: number; p50: number; p99: number; errors: number; cpuMs: number; load: number; note: string }[] = [];
  try {
    await wrk(server.url, image, 4, 3, postLua); // warm-up (and rows in the prediction log for the history reads)
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order each round so a trend in the machine's other load hits both alike.
      const order: ('closed' | 'open')[] = round % 2 ? ['closed', 'open'] : ['open', 'closed'];
      for (const mode of order) {
        const dash = mode === 'open' ? openDashboard(server.url) : undefined;
        if (dash) await new Promise((r) => setTimeout(r, 1500)); // connected and ticking before the load starts
        const cpu0 = cpuSeconds(server.proc.pid!);
        const r = await wrk(server.url, image, 16, duration, postLua);
        const cpuMs = ((cpuSeconds(server.proc.pid!) - cpu0) * 1000) / r.requests;
        dash?.stop();
        const note = dash ? `${dash.counts.snapshots} snapshots (${(dash.counts.snapshotBytes / Math.max(1, dash.counts.snapshots) / 1024).toFixed(1)} KB each), ${dash.counts.histories} history reads (median ${median(dash.counts.historyMs).toFixed(0)} ms)` : '';
        rows.push({ round, mode, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, cpuMs, load: os.loadavg()[0]!, note });
        await new Promise((res) => setTimeout(res, 1000));
      }
    }
  } finally {
    kill();
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  console.log(`\nModel \`${path.basename(args.model!)}\`, image \`${path.relative(shared, image)}\`, ${os.cpus().length} cores, wrk -c16 ${duration} s per run, ${rounds} round(s), load average before: ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}.\n`);
  console.log('| round | dashboard | c=16 req/s | p50 ms | p99 ms | CPU ms/req | errors | load avg after | dashboard traffic |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.round} | ${r.mode} | ${f(r.rps)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.cpuMs, 2)} | ${r.errors} | ${f(r.load)} | ${r.note} |`);
  const m = (mode: 'closed' | 'open') => median(rows.filter((r) => r.mode === mode).map((r) => r.rps));
  const mc = (mode: 'closed' | 'open') => median(rows.filter((r) => r.mode === mode).map((r) => r.cpuMs));
  const drop = 100 * (1 - m('open') / m('closed'));
  console.log(`\nMedian c=16 throughput: closed ${f(m('closed'))} req/s, open ${f(m('open'))} req/s: ${drop >= 0 ? `${f(drop)} % lower` : `${f(-drop)} % higher`} with the dashboard open (limit: 5 % lower). CPU per request: closed ${f(mc('closed'), 2)} ms, open ${f(mc('open'), 2)} ms.`);
}

if (args.child) await runChild();
else await main();
