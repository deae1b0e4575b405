/**
 * Plays the Kubernetes training run (platform/k8s: prepare Job, Indexed Job of shards, finalize Job) on one
 * machine, with the commands `pipeline k8s render` writes into the Jobs: prepare in a "prepared" workdir, then N
 * processes at once, each in its own copy of it (the pods' seed-workdir step) with JOB_COMPLETION_INDEX=0..N-1,
 * then finalize in the prepared workdir, which has none of the shards' model files: it reuses every run through
 * the store and the artifact store. Prints the winner. Not a test: what it measured goes to docs/deployment.md.
 *
 *   node --import tsx scripts/simulate-indexed-job.ts --store-url postgres://... --artifacts-url s3://bucket/prefix \
 *     [--shards N] [--file pipelines/food101.yaml] [--dir /tmp/sim]
 *
 * The shard count is the pipeline file's (`stages.train.with.shards`, default 3) unless --shards overrides it, as
 * for `pipeline k8s render`: the script plays as many pods as the rendered Indexed Job has completions.
 *
 * The store should be one every process can reach at once (PostgreSQL; a SQLite file works on one machine). S3
 * settings come from the environment as in the pods (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, ...). The pod's
 * pipeline file path in the rendered args is replaced by --file, and `--set workdir=<dir> --set artifacts.url=<url>`
 * are added (the pods get both from the ConfigMap's pipeline file and environment).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';

const { values } = parseArgs({
  options: {
    'store-url': { type: 'string' },
    'artifacts-url': { type: 'string' },
    shards: { type: 'string' },
    file: { type: 'string', default: 'pipelines/food101.yaml' },
    dir: { type: 'string' },
  },
});
if (!values['store-url'] || !values['artifacts-url']) {
  console.error('usage: simulate-indexed-job.ts --store-url <postgres://...> --artifacts-url <s3://bucket/prefix | dir> [--shards N] [--file pipeline.yaml] [--dir workdir]');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'pipeline.js');
const file = path.resolve(values.file!);
const base = path.resolve(values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sim-indexed-job-')));
const artifactsUrl = /^[a-z0-9]+:\/\//.test(values['artifacts-url']) ? values['artifacts-url'] : path.resolve(values['artifacts-url']);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NO_COLOR: '1',
  MLOPS_STORE_URL: values['store-url'],
  MLOPS_ARTIFACTS_URL: artifactsUrl,
  // The pods mount data and backbone at fixed paths; here the defaults of the pipeline file, made absolute.
  FOOD101_DIR: process.env.FOOD101_DIR ?? path.resolve(root, '../shared/data/food101-mini'),
  BACKBONE_ONNX: process.env.BACKBONE_ONNX ?? path.resolve(root, '../shared/models/mobilenetv2-12-int8.onnx'),
};

// The Jobs as rendered.
const out = path.join(base, 'k8s');
const r = spawnSync(process.execPath, [bin, 'k8s', 'render', file, '--out', out, '--image', 'local/food101-train:sim', ...(values.shards ? ['--shards', values.shards] : [])], { encoding: 'utf8', env });
if (r.status !== 0) throw new Error(`k8s render failed:\n${r.stderr}`);
type Job = { metadata: { name: string }; spec: { completions?: number; template: { spec: { containers: { args: string[] }[] } } } };
const jobs = fs.readdirSync(path.join(out, 'jobs')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, 'jobs', f), 'utf8')).map((d) => d.toJS() as Job & { kind: string }))
  .filter((o) => o.kind === 'Job');
const argsOf = (suffix: string): string[] => {
  const job = jobs.find((j) => j.metadata.name.endsWith(`-${suffix}`));
  if (!job) throw new Error(`no Job named *-${suffix} in ${out}/jobs`);
  return job.spec.template.spec.containers[0]!.args;
};
/** The rendered args with the local pipeline file and workdir; `$(VAR)` expanded from `vars`, as the kubelet does. */
const local = (args: string[], workdir: string, vars: Record<string, string> = {}): string[] => [
  ...args.map((a) => (a.endsWith('.yaml') ? file : a.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => vars[v] ?? `$(${v})`))),
  '--set', `workdir=${workdir}`,
  // The pods' pipeline file reads ${MLOPS_ARTIFACTS_URL}; a local file may not, so say it here too.
  '--set', `artifacts.url=${artifactsUrl}`,
];

function run(label: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ label: string; seconds: number; stderr: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => child.on('close', (code) => {
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) reject(new Error(`${label} failed (exit ${code}):\n${stderr.slice(-3000)}`));
    else resolve({ label, seconds, stderr });
  }));
}

const prepared = path.join(base, 'prepared');
fs.mkdirSync(prepared, { recursive: true });
const t0 = performance.now();
const prep = await run('prepare', local(argsOf('prepare'), prepared));
console.log(`prepare: ${prep.seconds.toFixed(1)}s`);
// As many pods as the Indexed Job has completions (the file's shards, or --shards).
const shards = jobs.find((j) => j.metadata.name.endsWith('-train'))!.spec.completions ?? 1;
console.log(`${shards} shards`);
const pods = Array.from({ length: shards }, (_, i) => path.join(base, `pod${i}`));
for (const p of pods) {
  fs.cpSync(prepared, p, { recursive: true });
  fs.rmSync(path.join(p, '.pipeline.lock'), { force: true });
}
const shardRuns = await Promise.all(pods.map((p, i) => run(`shard ${i}`, local(argsOf('train'), p, { JOB_COMPLETION_INDEX: String(i) }), { JOB_COMPLETION_INDEX: String(i) })));
for (const s of shardRuns) console.log(`${s.label}: ${s.seconds.toFixed(1)}s`);
const fin = await run('finalize', local(argsOf('finalize'), prepared));
const reused = (fin.stderr.match(/reused a finished run/g) ?? []).length;
console.log(`finalize: ${fin.seconds.toFixed(1)}s (${reused} runs reused from the store); total ${((performance.now() - t0) / 1000).toFixed(1)}s`);
const summary = JSON.parse(fs.readFileSync(path.join(prepared, 'outputs', 'metrics', 'summary.json'), 'utf8'));
console.log(`winner: ${summary.winner.architecture} ${summary.winner.combination}, test accuracy ${summary.winner.test.accuracy.toFixed(4)}, macro-F1 ${summary.winner.test.macro_f1.toFixed(4)}`);
console.log(`workdirs in ${base}`);
