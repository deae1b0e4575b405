/**
 * Benchmark (not a test): first and second pass of the file-hash memo over N small files (photo-sized).
 * Run: node --import tsx scripts/bench-file-hash-cache.ts [N] [bytes]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqlFileHashCache } from '../stores/file-hash-cache.ts';
import { STORE_MIGRATIONS } from '../stores/migrations.ts';
import { migrate, SqliteClient } from '../stores/sql/index.ts';

const N = Number(process.argv[2] ?? 20_000);
const BYTES = Number(process.argv[3] ?? 50_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f101-bench-'));
try {
  const payload = Buffer.alloc(BYTES, 1);
  const files = Array.from({ length: N }, (_, i) => {
    const f = path.join(dir, 'images', `c${i % 101}`, `${i}.jpg`);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    payload.writeUInt32LE(i, 0);
    fs.writeFileSync(f, payload);
    return f;
  });
  const db = new SqliteClient(path.join(dir, 'mlops.db'));
  await migrate(db, STORE_MIGRATIONS);
  const cache = new SqlFileHashCache(db);
  for (const label of ['first pass (hash all)', 'second pass (stat only)']) {
    const t0 = performance.now();
    await cache.sha256Many(files, 16);
    console.log(`${label.padEnd(28)} ${N} files x ${BYTES} B: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  await db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
