/**
 * Benchmark (not a test): feature store put/missing/load for N keys x D dims, and the alternative of one
 * prepared point query per key, for comparison. Run: node --import tsx scripts/bench-feature-store.ts [N] [D]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { openDatabase } from '../stores/db.ts';
import { SqliteFeatureStore, type FeatureKey, type FeatureRow } from '../stores/feature-store.ts';

const N = Number(process.argv[2] ?? 20_000);
const D = Number(process.argv[3] ?? 1280);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f101-bench-'));
const file = path.join(dir, 'mlops.db');
const space = { backboneSha256: 'b'.repeat(64), preprocessingId: 'mnv2-224-bilinear' };

function time<T>(label: string, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  const out = fn();
  console.log(`${label.padEnd(44)} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1).padStart(9)} ms`);
  return out;
}

try {
  const db = openDatabase(file);
  const store = new SqliteFeatureStore(db);
  const keys: FeatureKey[] = Array.from({ length: N }, (_, i) => ({
    imageSha256: createHash('sha256').update(String(i >> 1)).digest('hex'),
    view: i % 2 === 0 ? 'orig' : 'flip',
  }));
  const rows: FeatureRow[] = keys.map((k, i) => ({ ...k, vector: new Float32Array(D).fill(i) }));
  console.log(`feature store: ${N} keys x ${D} dims (${((N * D * 4) / 2 ** 20).toFixed(0)} MiB of vectors)`);
  time('missing (empty store)', () => store.missing(space, keys));
  time(`put ${N} (batches of 1000)`, () => { for (let i = 0; i < N; i += 1000) store.put(space, rows.slice(i, i + 1000)); });
  time('missing (all present)', () => store.missing(space, keys));
  const half = keys.map((k, i) => (i % 2 ? k : { ...k, view: 'crop9' }));
  time('missing (half present)', () => store.missing(space, half));
  const shuffled = [...keys].reverse();
  time('load (temp-table join, reversed order)', () => store.load(space, shuffled));
  time('load (temp-table join, again)', () => store.load(space, shuffled));

  const sp = db.prepare('SELECT id FROM feature_spaces').get() as { id: number };
  const point = db.prepare('SELECT vector FROM features WHERE space_id = ? AND image_sha256 = ? AND view = ?').pluck();
  time('missing (point query per key)', () => db.transaction(() => keys.filter((k) => point.get(sp.id, k.imageSha256, k.view) === undefined))());
  time('load (point query per key)', () => db.transaction(() => {
    const out = new Uint8Array(N * D * 4);
    shuffled.forEach((k, i) => out.set(point.get(sp.id, k.imageSha256, k.view) as Buffer, i * D * 4));
    return out;
  })());
  db.close();
  console.log(`db file: ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
