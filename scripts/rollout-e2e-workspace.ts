/**
 * The work directory of scripts/rollout-e2e.ts, used the way a user would: `pipelines/food101.yaml` (a copy of the
 * project's default pipeline, byte for byte) with the mini data set and the backbone named through the
 * environment variables the file reads, the real `pipeline` command (bin/pipeline.js) run in it, and a server
 * started with `pipeline serve`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..');
const bin = path.join(repoRoot, 'bin', 'pipeline.js');

export interface RegistryVersion {
  readonly version: number;
  readonly aliases: string[];
  readonly metrics: Record<string, number>;
}

export class Workspace {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  readonly logs: string;

  constructor(dir: string, port: number) {
    this.dir = path.resolve(dir);
    this.port = port;
    this.logs = path.join(this.dir, 'e2e-logs');
    fs.mkdirSync(path.join(this.dir, 'pipelines'), { recursive: true });
    fs.mkdirSync(this.logs, { recursive: true });
    const file = path.join(this.dir, 'pipelines', 'food101.yaml');
    if (!fs.existsSync(file)) fs.copyFileSync(path.join(repoRoot, 'pipelines', 'food101.yaml'), file);
    this.env = {
      ...process.env,
      NO_COLOR: '1',
      PORT: String(port),
      FOOD101_DIR: process.env.FOOD101_DIR ?? path.resolve(repoRoot, '../shared/data/food101-mini'),
      BACKBONE_ONNX: process.env.BACKBONE_ONNX ?? path.resolve(repoRoot, '../shared/models/mobilenetv2-12-int8.onnx'),
    };
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `pipeline <args>` in the work directory; its output goes to `e2e-logs/<log>.log`; throws when it fails. */
  pipeline(args: readonly string[], log: string): string {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: this.dir, env: this.env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    fs.writeFileSync(path.join(this.logs, `${log}.log`), `$ pipeline ${args.join(' ')}\n${r.stdout}${r.stderr}`);
    if (r.status !== 0) throw new Error(`pipeline ${args.join(' ')} failed (exit ${r.status}); see ${path.join(this.logs, `${log}.log`)}:\n${r.stderr.slice(-2000)}`);
    return r.stdout;
  }

  versions(model = 'food101'): RegistryVersion[] {
    if (!this.env.MLOPS_STORE_URL && !fs.existsSync(path.join(this.dir, 'experiments', 'mlops.db'))) return []; // no pipeline run yet
    const list = JSON.parse(this.pipeline(['registry', 'list', '--json'], 'registry-list')) as { name: string; versions: RegistryVersion[] }[];
    return list.find((m) => m.name === model)?.versions ?? [];
  }

  aliases(model = 'food101'): Record<string, number> {
    return Object.fromEntries(this.versions(model).flatMap((v) => v.aliases.map((a) => [a, v.version])));
  }

  /** `pipeline serve` in the background; resolves once GET /ready answers 200. */
  async serve(): Promise<ChildProcess> {
    const out = fs.openSync(path.join(this.logs, 'serve.log'), 'a');
    const child = spawn(process.execPath, [bin, 'serve'], { cwd: this.dir, env: this.env, stdio: ['ignore', out, out] });
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`pipeline serve exited (${child.exitCode}); see ${path.join(this.logs, 'serve.log')}`);
      const ok = await fetch(`${this.url}/ready`).then((r) => r.status === 200, () => false);
      if (ok) return child;
      await new Promise((r) => setTimeout(r, 250));
    }
    child.kill('SIGTERM');
    throw new Error(`pipeline serve was not ready on ${this.url} within 120 s; see ${path.join(this.logs, 'serve.log')}`);
  }
}

/** Stops a server started by `serve()` and waits for it to drain. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
