/**
 * Horizontal scaling on this machine (not a test): 1,000 POST /predict of one Food-101 photo at 32 connections
 * through nginx (platform/lb) to 1, then 2 `pipeline serve` replicas sharing one SQLite store, nothing killed.
 * The model is the tiny classifier of tests/server/fixtures.ts (decode + HTTP + balancer dominate, not the
 * network). Prints one Markdown row per replica count.
 *
 *   node --import tsx scripts/bench-replicas.ts [--requests 1000] [--connections 32]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStores } from '../stores/index.ts';
import { miniDataDir, repoRoot } from '../tests/helpers/paths.ts';
import { tinyVersion } from '../tests/server/fixtures.ts';
import { type Owned, runLoad, startNginx, startReplica } from '../tests/platform/support/replicas.ts';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '1000' }, connections: { type: 'string', default: '32' } } });
const total = Number(args.requests);
const connections = Number(args.connections);
const owned: Owned = { children: [], dirs: [] };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replicas-'));
owned.dirs.push(root);
try {
  const dir = path.join(miniDataDir, 'images', 'pizza');
  const photo = fs.readFileSync(path.join(dir, fs.readdirSync(dir).sort()[0]!));
  console.log(`| replicas | requests | connections | seconds | req/s | failed | load average before |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const n of [1, 2]) {
    const base = path.join(root, `n${n}`);
    fs.mkdirSync(path.join(base, 'pipelines'), { recursive: true });
    const file = path.join(base, 'pipelines', 'food101.yaml');
    fs.copyFileSync(path.join(repoRoot, 'pipelines', 'food101.yaml'), file);
    const storeUrl = `sqlite:${path.join(base, 'experiments', 'mlops.db')}`;
    const version = tinyVersion(path.join(base, 'model'), 1, ['apple_pie', 'pizza', 'sushi'], 1);
    const stores = await openStores({ url: storeUrl, registryDir: path.join(base, 'experiments', 'registry') });
    await stores.registry.register({ name: 'food101', sourceDir: version.dir, metrics: { 'test.accuracy': 0.5 } });
    await stores.close();
    const replicas = await Promise.all(Array.from({ length: n }, () => startReplica(owned, file, storeUrl)));
    const lb = await startNginx(owned, replicas.map((r) => r.addr));
    const load1 = os.loadavg()[0]!.toFixed(2);
    // Warm-up (JIT, libvips, first connections), then the measured run; stopAfter past the end: nothing is stopped.
    await runLoad({ url: lb.url, total: 100, connections, photo, stopAfter: Infinity, victim: replicas[0]!.proc, signal: 'SIGTERM', tag: `w${n}` });
    const r = await runLoad({ url: lb.url, total, connections, photo, stopAfter: Infinity, victim: replicas[0]!.proc, signal: 'SIGTERM', tag: `m${n}` });
    const failed = r.results.filter((x) => x.status !== 200).length;
    console.log(`| ${n} | ${total} | ${connections} | ${r.seconds.toFixed(1)} | ${(total / r.seconds).toFixed(0)} | ${failed} | ${load1} |`);
    for (const c of owned.children.splice(0)) {
      const gone = new Promise((res) => c.once('exit', res));
      c.kill('SIGTERM');
      await gone;
    }
  }
} finally {
  for (const c of owned.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of owned.dirs) fs.rmSync(d, { recursive: true, force: true });
}
