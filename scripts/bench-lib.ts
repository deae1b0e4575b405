/** Pieces shared by the serving benchmarks (scripts/bench-serve.ts, scripts/bench-dashboard.ts): wrk, health wait, CPU time. */
import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface WrkResult {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  errors: number;
}

const ms = (s: string) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
};

/** wrk with a Lua script that POSTs `image` (the peer's post.lua), parsed. */
export function wrk(url: string, image: string, connections: number, duration: number, luaScript: string): Promise<WrkResult> {
  const threads = Math.min(2, connections);
  const argv = [`-t${threads}`, `-c${connections}`, `-d${duration}s`, '--timeout', '10s', '--latency', '-s', luaScript, url];
  return new Promise((resolve, reject) => {
    execFile('wrk', argv, { env: { ...process.env, IMG: image } }, (err, stdout) => {
      if (err) return reject(err);
      const latency = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '');
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      resolve({ p50: latency('50'), p99: latency('99'), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]), requests, errors: non2xx + socketErrors });
    });
  });
}

export async function waitHealthy(url: string, proc: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`${url}: process exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become healthy`);
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export const median = (xs: number[]) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2) : NaN;
};

/** The URL a benchmark child prints as `LISTENING <url>` on stdout, once it is healthy. */
export async function childUrl(proc: ChildProcess, name: string): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  await waitHealthy(url, proc);
  return url;
}
