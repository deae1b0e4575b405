/**
 * For tests/platform/replicas.test.ts: real `pipeline serve` replicas sharing one store, nginx in front with the
 * platform/lb config, and a bounded load loop that can stop one replica after N answers. Not a test itself.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnCli } from '../../helpers/cli.ts';
import { backbonePath, miniDataDir, repoRoot } from '../../helpers/paths.ts';

/** Processes and directories to clean up after the file's tests. */
export interface Owned {
  readonly children: ChildProcess[];
  readonly dirs: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Polls `url` until it answers 2xx; `alive` throws when the process behind it died. */
export async function waitReady(url: string, timeoutMs: number, alive: () => void = () => {}): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    alive();
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export interface Replica {
  readonly proc: ChildProcess;
  readonly addr: string;
  /** Its stdout + stderr so far (for failure messages). */
  output(): string;
}

/** `pipeline serve <file> --host 127.0.0.1 --port <free>` with the store in MLOPS_STORE_URL; resolves when ready. */
export async function startReplica(owned: Owned, pipelineFile: string, storeUrl: string): Promise<Replica> {
  const port = await freePort();
  const proc = spawnCli(['serve', pipelineFile, '--host', '127.0.0.1', '--port', String(port)], {
    env: { MLOPS_STORE_URL: storeUrl, FOOD101_DIR: miniDataDir, BACKBONE_ONNX: backbonePath, PORT: String(port) },
  });
  owned.children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  const addr = `127.0.0.1:${port}`;
  await waitReady(`http://${addr}/ready`, 90_000, () => {
    if (proc.exitCode !== null) throw new Error(`replica on ${addr} exited (${proc.exitCode}) before it was ready:\n${out}`);
  });
  return { proc, addr, output: () => out };
}

/** nginx with platform/lb/nginx.conf.template in front of `backends`, kept to the ready ones by follow-ready.sh. */
export async function startNginx(owned: Owned, backends: readonly string[]): Promise<{ url: string; prefix: string }> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'replicas-lb-'));
  owned.dirs.push(prefix);
  const listen = `127.0.0.1:${await freePort()}`;
  const r = spawnSync('bash', [path.join(repoRoot, 'platform/lb/render-config.sh'), prefix, listen, ...backends], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const proc = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: 'inherit' });
  owned.children.push(proc);
  await waitReady(`http://${listen}/health`, 10_000);
  // As serve-replicas.sh does: replicas that turn not-ready leave the group (what Kubernetes endpoints do).
  owned.children.push(spawn('bash', [path.join(repoRoot, 'platform/lb/follow-ready.sh'), prefix, listen, ...backends], { stdio: 'inherit' }));
  return { url: `http://${listen}`, prefix };
}

export interface Outcome {
  readonly id: string;
  readonly status: number | string;
  /** nginx's $upstream_addr: the replica(s) tried, comma-separated when it passed the request on. */
  readonly upstream?: string;
  readonly requestId?: string;
}

export interface LoadResult {
  readonly results: Outcome[];
  /** Requests sent and not answered when the signal went out, plus those sent before the process was gone. */
  readonly inFlightAtStop: Set<string>;
  /** Requests sent after the stopped process had exited. */
  readonly sentAfterExit: Set<string>;
  readonly seconds: number;
}

/**
 * `total` POST /predict of `photo` at `connections`, each with its own X-Request-Id; after `stopAfter` answers,
 * sends `signal` to `victim` and (for SIGKILL) waits until it is gone before sending more from that connection.
 */
export async function runLoad(opts: {
  url: string; total: number; connections: number; photo: Buffer; stopAfter: number; victim: ChildProcess; signal: NodeJS.Signals; tag: string;
}): Promise<LoadResult> {
  const { url, total, connections, photo, stopAfter, victim, signal, tag } = opts;
  const results: Outcome[] = [];
  const pending = new Set<string>();
  const sentAfterExit = new Set<string>();
  let inFlightAtStop = new Set<string>();
  let stopping = false;
  let exited = false;
  victim.once('exit', () => (exited = true));
  const blob = new Blob([photo], { type: 'image/jpeg' });
  let next = 0;
  const started = performance.now();
  async function worker(): Promise<void> {
    while (next < total) {
      const id = `${tag}-${next++}`;
      pending.add(id);
      if (exited) sentAfterExit.add(id);
      else if (stopping) inFlightAtStop.add(id);
      const form = new FormData();
      form.append('file', blob, 'photo.jpg');
      try {
        const res = await fetch(`${url}/predict`, { method: 'POST', body: form, headers: { 'x-request-id': id } });
        const body = (await res.json().catch(() => ({}))) as { request_id?: string };
        results.push({ id, status: res.status, upstream: res.headers.get('x-upstream') ?? undefined, requestId: body.request_id });
      } catch (err) {
        results.push({ id, status: (err as Error).message });
      }
      pending.delete(id);
      if (results.length === stopAfter && !stopping) {
        inFlightAtStop = new Set(pending);
        stopping = true;
        victim.kill(signal);
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  return { results, inFlightAtStop, sentAfterExit, seconds: (performance.now() - started) / 1000 };
}
