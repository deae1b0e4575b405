import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { tempDir } from '../helpers/tmp.ts';
import { backends, openClient, type Backend } from '../helpers/store-backends.ts';
import { SqlFileHashCache } from '../../stores/file-hash-cache.ts';
import type { SqlClient } from '../../stores/sql/index.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

async function setup(t: TestContext, backend: Backend) {
  const dir = tempDir(t);
  const db = await openClient(t, await backend.url(t));
  return { dir, db, cache: new SqlFileHashCache(db) };
}

/** How many rows the memo holds and when each path was last hashed. */
async function hashedAt(db: SqlClient) {
  return Object.fromEntries((await db.query<{ path: string; hashed_at: number }>('SELECT path, hashed_at FROM file_hashes')).map((r) => [r.path, r.hashed_at]));
}

for (const backend of backends) {
  const name = (s: string) => `${backend.name}: ${s}`;

  test(name('hashes are memoised by path, size and mtime; touching a file re-hashes it'), async (t) => {
    const { dir, db } = await setup(t, backend);
    let clock = 1000;
    const cache = new SqlFileHashCache(db, { now: () => clock });
    const a = path.join(dir, 'a.jpg');
    fs.writeFileSync(a, 'pizza');
    assert.equal(await cache.sha256(a), sha('pizza'));
    assert.deepEqual((await hashedAt(db)), { [a]: 1000 });

    clock = 2000;
    assert.equal(await cache.sha256(a), sha('pizza'));
    assert.deepEqual((await hashedAt(db)), { [a]: 1000 }, 'unchanged file: answered from the memo');

    // Same size, new content, mtime moved: must be seen.
    fs.writeFileSync(a, 'sushi');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(a, later, later);
    assert.equal(await cache.sha256(a), sha('sushi'));
    assert.deepEqual((await hashedAt(db)), { [a]: 2000 });

    // Only the mtime moves (touch): re-hashed, same digest.
    clock = 3000;
    const touched = new Date(Date.now() + 10_000);
    fs.utimesSync(a, touched, touched);
    assert.equal(await cache.sha256(a), sha('sushi'));
    assert.deepEqual((await hashedAt(db)), { [a]: 3000 });
  });

  test(name('a relative path and its absolute form share one entry'), async (t) => {
    const { dir, db, cache } = await setup(t, backend);
    const file = path.join(dir, 'x.bin');
    fs.writeFileSync(file, 'x');
    await cache.sha256(path.relative(process.cwd(), file));
    await cache.sha256(file);
    assert.deepEqual(Object.keys((await hashedAt(db))), [file]);
  });

  test(name('sha256Many keeps the order, hashes each file once, and stats only on the second pass'), async (t) => {
    const { dir, db, cache } = await setup(t, backend);
    const files = Array.from({ length: 300 }, (_, i) => {
      const f = path.join(dir, 'images', `c${i % 3}`, `${i}.jpg`);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, `image ${i}`);
      return f;
    });
    const first = await cache.sha256Many(files, 8);
    assert.deepEqual(first, files.map((_, i) => sha(`image ${i}`)));
    assert.equal(Object.keys((await hashedAt(db))).length, 300);

    let reads = 0;
    const readFile = fs.promises.readFile;
    t.mock.method(fs.promises, 'readFile', async (...args: Parameters<typeof readFile>) => {
      reads++;
      return readFile.apply(fs.promises, args);
    });
    const second = await cache.sha256Many([...files].reverse(), 8);
    assert.deepEqual(second, [...first].reverse());
    assert.equal(reads, 0, 'no file content was read on the second pass');

    const later = new Date(Date.now() + 5000);
    fs.utimesSync(files[7], later, later);
    assert.deepEqual(await cache.sha256Many(files, 8), first);
    assert.equal(reads, 1, 'only the touched file is read again');
  });

  test(name('large files are streamed; a missing file or a directory is an error; prune forgets deleted files'), async (t) => {
    const { dir, cache } = await setup(t, backend);
    const big = path.join(dir, 'big.bin');
    const content = Buffer.alloc(9 * 1024 * 1024, 7);
    fs.writeFileSync(big, content);
    assert.equal(await cache.sha256(big), sha(content));
    await assert.rejects(cache.sha256(path.join(dir, 'nope.jpg')), /ENOENT/);
    await assert.rejects(cache.sha256(dir), /not a regular file/);
    fs.rmSync(big);
    assert.equal(await cache.prune(), 1);
    assert.equal(await cache.prune(), 0);
  });
}
