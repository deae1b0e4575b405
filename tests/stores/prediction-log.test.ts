import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/tmp.ts';
import { backends, openClient, type Backend } from '../helpers/store-backends.ts';
import { PREDICTION_MIGRATIONS } from '../../stores/prediction-log-schema.ts';
import { STORE_MIGRATIONS } from '../../stores/migrations.ts';
import { migrate, openSql, parseStoreUrl } from '../../stores/sql/index.ts';
import { SqlPredictionLog, createBatchedWriter, type PredictionLog, type PredictionRecord } from '../../stores/prediction-log.ts';
import { StoreError } from '../../stores/errors.ts';

async function setup(t: TestContext, backend: Backend) {
  return new SqlPredictionLog(await openClient(t, await backend.url(t)));
}

const prediction = (i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord => ({
  requestId: `req-${i}`, ts: 1_700_000_000_000 + i, modelName: 'food101', modelVersion: 2, alias: 'champion', variant: null,
  topK: [{ id: 3, class: 'pizza', prob: 0.9 }, { id: 1, class: 'sushi', prob: 0.05 }], latencyMs: 12.5,
  imageSha256: 'a'.repeat(64), inputStats: { meanBrightness: 0.45, contrast: 0.2, width: 512, height: 384 }, ...extra,
});

/** Counts append calls (transactions) and the most in flight at once, delegating to the real log. */
function counting(log: PredictionLog, delayMs = 0) {
  const calls: number[] = [];
  let inFlight = 0;
  const stats = { maxInFlight: 0 };
  const wrapped: Pick<PredictionLog, 'append' | 'count'> = {
    count: () => log.count(),
    append: async (rows) => {
      calls.push(rows.length);
      stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
      try {
        if (delayMs) await sleep(delayMs);
        await log.append(rows);
      } finally {
        inFlight--;
      }
    },
  };
  return { calls, stats, log: wrapped };
}

for (const backend of backends) {
  const name = (s: string) => `${backend.name}: ${s}`;

  test(name('append and recent round-trip every field, newest first'), async (t) => {
    const log = await setup(t, backend);
    await log.append([prediction(1), prediction(2, { alias: null, variant: 'shadow', imageSha256: null, inputStats: null }), prediction(3, { modelName: 'other' })]);
    assert.equal(await log.count(), 3);
    const recent = await log.recent(2);
    assert.deepEqual(recent.map((r) => r.requestId), ['req-3', 'req-2']);
    assert.deepEqual(recent[1], {
      ...prediction(2, { alias: null, variant: 'shadow', imageSha256: null, inputStats: null }),
      clientRequestId: null, imageFormat: null, imageBytes: null, embedding: null, errorCode: null,
      top1Class: 'pizza', top1Prob: 0.9, label: null, labelTs: null,
    });
    assert.deepEqual((await log.recent(10, { modelName: 'food101' })).map((r) => r.requestId), ['req-2', 'req-1']);
    assert.deepEqual((await log.recent(10, { sinceTs: 1_700_000_000_002 })).map((r) => r.requestId), ['req-3', 'req-2']);
    assert.deepEqual((await log.recent(1))[0].topK, prediction(3).topK);
    assert.equal((await log.recent(10))[2].variant, null);
  });

  test(name('rollout and monitoring fields round-trip; one row per (request, variant), a repeated append is skipped'), async (t) => {
    const log = await setup(t, backend);
    const rich = prediction(1, {
      clientRequestId: 'client-7', variant: 'canary', imageFormat: 'jpeg', imageBytes: 48_213,
      embedding: [0.123456, -1.5, 2], errorCode: null,
    });
    const failed = prediction(1, { variant: 'stable', topK: [], errorCode: 'DEADLINE_EXCEEDED' });
    await log.append([rich, failed]);
    await log.append([rich, prediction(2)]);
    assert.equal(await log.count(), 3, 'the second append of (req-1, canary) is skipped');
    const rows = await log.byRequest('req-1');
    assert.deepEqual(rows.map((r) => [r.variant, r.top1Class, r.errorCode]), [['canary', 'pizza', null], ['stable', null, 'DEADLINE_EXCEEDED']]);
    assert.deepEqual(rows[0].embedding, [0.1235, -1.5, 2], 'embeddings are kept to four decimals');
    assert.equal(rows[0].clientRequestId, 'client-7');
    assert.equal(rows[0].imageBytes, 48_213);
    assert.deepEqual(await log.byRequest('nope'), []);
    assert.equal(await log.count({ variant: 'canary' }), 1);
    assert.equal(await log.count({ variant: null }), 1);
    assert.equal(await log.count({ modelVersion: 3 }), 0);
    assert.equal(await log.count({ untilTs: 1_700_000_000_002 }), 2);
  });

  test(name('a log from before rollouts upgrades: top-1 filled from top_k, a duplicated (request, variant) kept once'), async (t) => {
    const db = await openSql(parseStoreUrl(await backend.url(t)));
    t.after(() => db.close());
    await migrate(db, [{ ...PREDICTION_MIGRATIONS, migrations: PREDICTION_MIGRATIONS.migrations.slice(0, 1) }]);
    const old = (id: string, prob: number) => [id, 1, 'food101', 1, 'champion', JSON.stringify([{ id: 3, class: 'pizza', prob }]), 5];
    for (const row of [old('r1', 0.7), old('r1', 0.6), old('r2', 0.9)]) {
      await db.exec('INSERT INTO predictions (request_id, ts, model_name, model_version, alias, top_k, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)', row);
    }
    await migrate(db, STORE_MIGRATIONS);
    const log = new SqlPredictionLog(db);
    assert.equal(await log.count(), 2);
    assert.deepEqual((await log.byRequest('r1')).map((r) => [r.top1Class, r.top1Prob]), [['pizza', 0.7]]);
  });

  test(name('feedback joins a label to every variant of a request, can be corrected, and refuses unknown ids'), async (t) => {
    const log = await setup(t, backend);
    await log.append([prediction(1, { variant: 'stable' }), prediction(1, { variant: 'canary' }), prediction(2)]);
    assert.equal(await log.recordFeedback({ requestId: 'unknown', label: 'pizza', labelId: 3, ts: 1, source: 'api' }), false);
    assert.equal(await log.recordFeedback({ requestId: 'req-1', label: 'sushi', labelId: 1, ts: 5, source: 'api' }), true);
    assert.equal(await log.recordFeedback({ requestId: 'req-1', label: 'pizza', labelId: 3, ts: 6, source: 'cli' }), true);
    const rows = await log.byRequest('req-1');
    assert.deepEqual(rows.map((r) => [r.label, r.labelTs]), [['pizza', 6], ['pizza', 6]]);
    assert.equal(await log.count({ labelled: true }), 2);
    assert.deepEqual((await log.recent(5, { labelled: false })).map((r) => r.requestId), ['req-2']);
  });

  test(name('the batched writer writes nothing on push, then one transaction per batch, one at a time'), async (t) => {
    const { calls, stats, log } = counting(await setup(t, backend), 15);
    const writer = createBatchedWriter(log, { maxRows: 10, maxDelayMs: 20 });
    for (let i = 0; i < 3; i++) writer.push(prediction(i));
    assert.equal(await log.count(), 0, 'a push never writes on the request path');
    assert.equal(writer.pending, 3);
    await sleep(80);
    assert.deepEqual(calls, [3], 'written after maxDelayMs in one batch');

    for (let i = 0; i < 25; i++) writer.push(prediction(100 + i));
    writer.push(prediction(200));
    await writer.close();
    assert.deepEqual(calls, [3, 10, 10, 6], 'batches of at most maxRows; close flushes');
    assert.equal(stats.maxInFlight, 1, 'never two writes at once');
    assert.equal(await log.count(), 29);
    assert.equal(writer.written, 29);
    assert.throws(() => writer.push(prediction(201)), (err: unknown) => err instanceof StoreError && err.code === 'PREDICTIONS_WRITER_CLOSED');
    await sleep(40);
    assert.deepEqual(calls, [3, 10, 10, 6], 'no timer fires after close');
  });
}

test('a failing background write drops the batch, counts it and reports it instead of throwing', async (t) => {
  const log = await setup(t, backends[0]);
  const failures: number[] = [];
  let fail = true;
  const flaky: Pick<PredictionLog, 'append'> = {
    append: async (rows) => { if (fail) throw new Error('disk full'); await log.append(rows); },
  };
  const writer = createBatchedWriter(flaky, { maxRows: 2, maxDelayMs: 10, onError: (_err, dropped) => failures.push(dropped.length) });
  writer.push(prediction(1));
  writer.push(prediction(2));
  await sleep(30);
  assert.deepEqual(failures, [2]);
  assert.equal(writer.dropped, 2);
  fail = false;
  writer.push(prediction(3));
  await writer.flush();
  assert.deepEqual((await log.recent(5)).map((r) => r.requestId), ['req-3']);
  fail = true;
  writer.push(prediction(4));
  await assert.rejects(writer.flush(), /disk full/, 'an explicit flush reports the failure to its caller');
  assert.equal(writer.dropped, 3);
});

test('a full queue drops rows and counts them; the overflow is reported once per episode', async (t) => {
  const { log } = counting(await setup(t, backends[0]), 50);
  const overflows: number[] = [];
  const writer = createBatchedWriter(log, { maxRows: 5, maxDelayMs: 1, maxQueued: 10, onOverflow: (n) => overflows.push(n) });
  for (let i = 0; i < 30; i++) writer.push(prediction(i));
  assert.equal(writer.pending, 10);
  assert.equal(writer.dropped, 20);
  assert.deepEqual(overflows, [1]);
  await writer.close();
  assert.equal(writer.written, 10);
  assert.equal(await log.count(), 10);
});

test('sqlite: while another process holds the write lock, logging neither freezes the event loop nor loses rows', async (t) => {
  const file = path.join(tempDir(t), 'mlops.db');
  const log = new SqlPredictionLog(await openClient(t, `sqlite:${file}`));
  const holder = new Database(file);
  t.after(() => holder.close());
  holder.exec('BEGIN IMMEDIATE');
  const writer = createBatchedWriter(log, { maxRows: 4, maxDelayMs: 1 });
  for (let i = 0; i < 10; i++) writer.push(prediction(i));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await sleep(400);
  assert.ok(ticks >= 15, `the event loop ran only ${ticks} 10-ms ticks in 400 ms while the store was locked`);
  assert.equal(writer.dropped, 0);
  holder.exec('COMMIT');
  await writer.close();
  clearInterval(timer);
  assert.equal(await log.count(), 10);
  assert.equal(writer.dropped, 0);
});
