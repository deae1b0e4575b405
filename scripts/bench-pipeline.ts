/**
 * Wall time and peak RSS of the default pipeline on this machine, from a cold store (fresh data/, experiments/ and
 * outputs/ in a temporary directory) and then again with nothing changed. Not a test: numbers go to BENCHMARKS.md.
 *
 *   node --import tsx scripts/bench-pipeline.ts [--until train] [--file pipelines/food101.yaml] [--store postgres://...]
 *
 * The store is a SQLite file in the temporary directory, or with --store a PostgreSQL database, in a fresh schema
 * (`?schema=bench_<pid>`) dropped afterwards.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({
  options: { until: { type: 'string', default: 'train' }, file: { type: 'string', default: 'pipelines/food101.yaml' }, store: { type: 'string' } },
});
const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pipeline-'));
const schema = `bench_${process.pid}`;
const storeUrl = values.store ? `${values.store}${values.store.includes('?') ? '&' : '?'}schema=${schema}` : `sqlite:${path.join(tmp, 'experiments', 'mlops.db')}`;
const sets = [
  ...['data', 'experiments', 'outputs'].flatMap((p) => ['--set', `paths.${p}=${path.join(tmp, p)}`]),
  '--set', `store.url=${storeUrl}`,
];

function run(label: string): { label: string; seconds: number; peakMb: number; summary: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, path.join(root, 'bin/pipeline.js'), 'run', values.file!, '--until', values.until!, ...sets], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.status !== 0) throw new Error(`${label} failed:\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  const [seconds, kb] = lines[lines.length - 1].split(' ').map(Number);
  return { label, seconds, peakMb: kb / 1024, summary: lines.filter((l) => /images\/s|done in|finished/.test(l)).join('\n') };
}

try {
  const cold = run(`cold store, --until ${values.until}`);
  const summaryFile = path.join(tmp, 'outputs', 'metrics', 'summary.json');
  const winner = fs.existsSync(summaryFile) ? (JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { winner?: { architecture: string; combination: string; test: { accuracy: number; macro_f1: number } } }).winner : undefined;
  const warm = run(`nothing changed, --until ${values.until}`);
  console.log(`store: ${values.store ? `PostgreSQL (schema ${schema})` : 'SQLite'}`);
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| run | wall time (s) | peak RSS (MB) |\n| --- | ---: | ---: |');
  for (const r of [cold, warm]) console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.peakMb.toFixed(0)} |`);
  if (winner) console.log(`\nwinner: ${winner.architecture} ${winner.combination}, test accuracy ${winner.test.accuracy}, macro-F1 ${winner.test.macro_f1}`);
  console.log(`\ncold run stages:\n${cold.summary}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (values.store) {
    const client = new pg.Client({ connectionString: values.store });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}
