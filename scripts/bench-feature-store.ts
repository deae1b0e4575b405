/**
 * Benchmark (not a test): feature store put/missing/load for N keys x D dims on SQLite or PostgreSQL.
 * Run: node --import tsx scripts/bench-feature-store.ts [N] [D] [store URL]
 * (default URL: a temporary SQLite file; for PostgreSQL pass postgres://...?schema=bench_x, dropped afterwards).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { SqlFeatureStore, type FeatureKey, type FeatureRow } from '../stores/feature-store.ts';
import { STORE_MIGRATIONS } from '../stores/migrations.ts';
import { migrate, openSql, parseStoreUrl } from '../stores/sql/index.ts';

const N = Number(process.argv[2] ?? 20_000);
const D = Number(process.argv[3] ?? 1280);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f101-bench-'));
const url = process.argv[4] ?? `sqlite:${path.join(dir, 'mlops.db')}`;
const space = { backboneSha256: 'b'.repeat(64), preprocessingId: 'mnv2-224-bilinear' };

async function time<T>(label: string, fn: () => Promise<T>, rows?: number): Promise<T> {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms${rows ? `  ${Math.round(rows / (ms / 1000)).toLocaleString('en')} rows/s` : ''}`);
  return out;
}

const loc = parseStoreUrl(url);
const db = await openSql(loc);
try {
  await migrate(db, STORE_MIGRATIONS);
  const store = new SqlFeatureStore(db);
  const keys: FeatureKey[] = Array.from({ length: N }, (_, i) => ({
    imageSha256: createHash('sha256').update(`${process.pid}:${String(i >> 1)}`).digest('hex'),
    view: i % 2 === 0 ? 'orig' : 'flip',
  }));
  const rows: FeatureRow[] = keys.map((k, i) => ({ ...k, vector: new Float32Array(D).fill(i) }));
  console.log(`feature store on ${db.target}: ${N} keys x ${D} dims (${((N * D * 4) / 2 ** 20).toFixed(0)} MiB of vectors)`);
  await time('missing (none present)', () => store.missing(space, keys), N);
  await time(`put ${N} (batches of 1000)`, async () => { for (let i = 0; i < N; i += 1000) await store.put(space, rows.slice(i, i + 1000)); }, N);
  await time('missing (all present)', () => store.missing(space, keys), N);
  const half = keys.map((k, i) => (i % 2 ? k : { ...k, view: 'crop9' }));
  await time('missing (half present)', () => store.missing(space, half), N);
  const shuffled = [...keys].reverse();
  await time('load (reversed order)', () => store.load(space, shuffled), N);
  await time('load (again)', () => store.load(space, shuffled), N);
} finally {
  if (loc.kind === 'postgres' && new URL(loc.url).searchParams.get('schema')) {
    await db.script(`DROP SCHEMA ${new URL(loc.url).searchParams.get('schema')} CASCADE`);
  }
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
