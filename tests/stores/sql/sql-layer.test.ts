import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { backends } from '../../helpers/store-backends.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { migrate, openSql, parseStoreUrl, SqliteClient, StoreBusyError, StoreOpenError, type MigrationSet, type SqlClient } from '../../../stores/sql/index.ts';
import { multiRowInsert, numberPlaceholders } from '../../../stores/sql/placeholders.ts';

const TABLE: MigrationSet = {
  component: 'probe',
  migrations: [
    {
      id: 202612020100,
      name: 'probe table',
      sqlite: 'CREATE TABLE probe (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, size INTEGER NOT NULL, x REAL, blob BLOB, doc TEXT, note TEXT)',
      postgres: 'CREATE TABLE probe (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts BIGINT NOT NULL, size BIGINT NOT NULL, x DOUBLE PRECISION, blob BYTEA, doc JSONB, note TEXT)',
    },
    {
      id: 202612020101,
      name: 'counter',
      sqlite: 'CREATE TABLE counter (k TEXT PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (\'a\', 0)',
      postgres: 'CREATE TABLE counter (k TEXT PRIMARY KEY, n BIGINT NOT NULL); INSERT INTO counter VALUES (\'a\', 0)',
    },
  ],
};

test('placeholders: ? becomes $n outside literals and comments; multi-row VALUES renumbers', () => {
  assert.equal(numberPlaceholders("SELECT ?, '?', \"a?\" -- ?\n, ?").sql, "SELECT $1, '?', \"a?\" -- ?\n, $2");
  assert.equal(multiRowInsert('INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING', 2), 'INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING');
});

test('store URLs: sqlite:, bare paths and postgres:// select the dialect; unknown schemes are refused', () => {
  assert.deepEqual(parseStoreUrl('sqlite:experiments/mlops.db', '/w'), { kind: 'sqlite', file: '/w/experiments/mlops.db' });
  assert.deepEqual(parseStoreUrl('/tmp/x.db', '/w'), { kind: 'sqlite', file: '/tmp/x.db' });
  assert.equal(parseStoreUrl('postgres://u:p@h:5432/db').kind, 'postgres');
  assert.throws(() => parseStoreUrl('mysql://h/db'), /unknown scheme/);
});

test('a missing SQLite file is reported, not created, when it must exist', (t) => {
  const file = path.join(tempDir(t), 'nope.db');
  assert.throws(() => new SqliteClient(file, { mustExist: true }), (err: unknown) => err instanceof StoreOpenError && /no SQLite store at .*nope\.db/.test((err as Error).message));
});

for (const backend of backends) {
  const open = async (t: TestContext, url?: string): Promise<{ db: SqlClient; url: string }> => {
    const u = url ?? (await backend.url(t));
    const db = await openSql(parseStoreUrl(u));
    t.after(() => db.close());
    await migrate(db, [TABLE]);
    return { db, url: u };
  };

  test(`${backend.name}: 64-bit ms timestamps and sizes, round-tripping floats, bytes and JSON`, async (t) => {
    const { db } = await open(t);
    const ts = 1_764_633_600_123;
    const size = 2 ** 40 + 7;
    const x = 0.1 + 0.2;
    const blob = Buffer.from(new Float32Array([1.5, -2.25]).buffer);
    await db.exec('INSERT INTO probe (ts, size, x, blob, doc, note) VALUES (?, ?, ?, ?, ?, ?)', [ts, size, x, blob, JSON.stringify({ a: [1, 2] }), "it's ?"]);
    const row = await db.one<{ id: number; ts: number; size: number; x: number; blob: Buffer; doc: unknown; note: string }>('SELECT * FROM probe');
    assert.ok(row);
    assert.equal(typeof row.id, 'number');
    assert.equal(row.ts, ts);
    assert.equal(row.size, size);
    assert.equal(row.x, x); // float8, compared exactly
    assert.deepEqual(new Float32Array(new Uint8Array(row.blob).buffer), new Float32Array([1.5, -2.25]));
    assert.deepEqual(typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc, { a: [1, 2] });
    assert.equal(row.note, "it's ?");
    const counted = await db.one<{ n: number }>('SELECT COUNT(*) AS n FROM probe');
    assert.equal(counted?.n, 1);
  });

  test(`${backend.name}: a transaction that throws leaves nothing behind`, async (t) => {
    const { db } = await open(t);
    await assert.rejects(db.transaction(async (tx) => {
      await tx.exec('INSERT INTO probe (ts, size) VALUES (?, ?)', [1, 1]);
      throw new Error('boom');
    }), /boom/);
    assert.equal((await db.query('SELECT * FROM probe')).length, 0);
  });

  test(`${backend.name}: concurrent read-modify-write transactions with row locks lose no update`, async (t) => {
    const { db, url } = await open(t);
    const other = await openSql(parseStoreUrl(url));
    t.after(() => other.close());
    const bump = (c: SqlClient) => c.transaction(async (tx) => {
      const row = await tx.one<{ n: number }>(`SELECT n FROM counter WHERE k = ?${tx.forUpdate}`, ['a']);
      await new Promise((r) => setImmediate(r));
      await tx.exec('UPDATE counter SET n = ? WHERE k = ?', [row!.n + 1, 'a']);
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? db : other)));
    assert.equal((await db.one<{ n: number }>('SELECT n FROM counter'))?.n, 20);
  });

  test(`${backend.name}: execMany inserts thousands of rows in chunks`, async (t) => {
    const { db } = await open(t);
    const rows = Array.from({ length: 2500 }, (_, i) => [i, i * 2, i / 3] as const);
    assert.equal(await db.execMany('INSERT INTO probe (ts, size, x) VALUES (?, ?, ?)', rows), 2500);
    const sum = await db.one<{ n: number; s: number }>('SELECT COUNT(*) AS n, MAX(size) AS s FROM probe');
    assert.deepEqual(sum, { n: 2500, s: 4998 });
  });

  test(`${backend.name}: two clients migrating one fresh store at once apply each migration once`, async (t) => {
    const url = await backend.url(t);
    const a = await openSql(parseStoreUrl(url));
    const b = await openSql(parseStoreUrl(url));
    t.after(async () => { await a.close(); await b.close(); });
    const [ra, rb] = await Promise.all([migrate(a, [TABLE]), migrate(b, [TABLE])]);
    assert.equal(ra.applied.length + rb.applied.length, 2);
    assert.deepEqual((await a.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => r.id), [202612020100, 202612020101]);
    assert.deepEqual((await migrate(a, [TABLE])).applied, []);
  });
}

test('sqlite: a write lock held by another connection does not freeze the event loop; a long one fails clearly', async (t) => {
  const file = path.join(tempDir(t), 'locked.db');
  const db = new SqliteClient(file, { busyTimeoutMs: 3000 });
  t.after(() => db.close());
  await migrate(db, [TABLE]);
  const holder = new Database(file);
  t.after(() => holder.close());
  holder.exec('BEGIN IMMEDIATE');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const write = db.exec('INSERT INTO probe (ts, size) VALUES (?, ?)', [1, 2]);
  await new Promise((r) => setTimeout(r, 300));
  holder.exec('COMMIT');
  await write;
  clearInterval(timer);
  assert.ok(ticks >= 10, `the event loop ran only ${ticks} timer ticks while waiting for the lock`);
  assert.equal((await db.query('SELECT * FROM probe')).length, 1);

  const quick = new SqliteClient(file, { busyTimeoutMs: 100 });
  t.after(() => quick.close());
  holder.exec('BEGIN IMMEDIATE');
  await assert.rejects(quick.transaction(async (tx) => tx.exec('INSERT INTO probe (ts, size) VALUES (?, ?)', [3, 4])), StoreBusyError);
  holder.exec('ROLLBACK');
});
