import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/tmp.ts';
import { openDatabase } from '../../stores/db.ts';
import { SqlitePredictionLog, createBatchedWriter, type PredictionLog, type PredictionRecord } from '../../stores/prediction-log.ts';
import { StoreError } from '../../stores/errors.ts';

function setup(t: Parameters<typeof tempDir>[0]) {
  const db = openDatabase(path.join(tempDir(t), 'mlops.db'));
  t.after(() => db.close());
  return new SqlitePredictionLog(db);
}

const prediction = (i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord => ({
  requestId: `req-${i}`, ts: 1_700_000_000_000 + i, modelName: 'food101', modelVersion: 2, alias: 'champion',
  topK: [{ id: 3, class: 'pizza', prob: 0.9 }, { id: 1, class: 'sushi', prob: 0.05 }], latencyMs: 12.5,
  imageSha256: 'a'.repeat(64), inputStats: { meanBrightness: 0.45, contrast: 0.2, width: 512, height: 384 }, ...extra,
});

/** Counts append calls (transactions) while delegating to the real log. */
function counting(log: PredictionLog) {
  const calls: number[] = [];
  return { calls, log: { ...log, append: (rows: readonly PredictionRecord[]) => { calls.push(rows.length); log.append(rows); }, recent: log.recent.bind(log), count: log.count.bind(log) } };
}

test('append and recent round-trip every field, newest first', (t) => {
  const log = setup(t);
  log.append([prediction(1), prediction(2, { alias: null, variant: 'shadow', imageSha256: null, inputStats: null }), prediction(3, { modelName: 'other' })]);
  assert.equal(log.count(), 3);
  const recent = log.recent(2);
  assert.deepEqual(recent.map((r) => r.requestId), ['req-3', 'req-2']);
  assert.deepEqual(recent[1], { ...prediction(2, { alias: null, variant: 'shadow', imageSha256: null, inputStats: null }) });
  assert.deepEqual(log.recent(10, { modelName: 'food101' }).map((r) => r.requestId), ['req-2', 'req-1']);
  assert.deepEqual(log.recent(10, { sinceTs: 1_700_000_000_002 }).map((r) => r.requestId), ['req-3', 'req-2']);
  assert.deepEqual(log.recent(1)[0].topK, prediction(3).topK);
  assert.equal(log.recent(10)[2].variant, null);
});

test('the batched writer writes nothing on push, then one transaction per batch', async (t) => {
  const { calls, log } = counting(setup(t));
  const writer = createBatchedWriter(log, { maxRows: 10, maxDelayMs: 20 });
  for (let i = 0; i < 3; i++) writer.push(prediction(i));
  assert.equal(log.count(), 0, 'a push never writes on the request path');
  assert.equal(writer.pending, 3);
  await sleep(60);
  assert.deepEqual(calls, [3], 'written after maxDelayMs in one batch');

  for (let i = 0; i < 25; i++) writer.push(prediction(100 + i));
  assert.equal(log.count(), 3);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, [3, 25], 'a full batch is written on the next turn of the event loop');

  writer.push(prediction(200));
  await writer.close();
  assert.deepEqual(calls, [3, 25, 1], 'close flushes');
  assert.equal(log.count(), 29);
  assert.throws(() => writer.push(prediction(201)), (err: unknown) => err instanceof StoreError && err.code === 'PREDICTIONS_WRITER_CLOSED');
  await sleep(40);
  assert.deepEqual(calls, [3, 25, 1], 'no timer fires after close');
});

test('a failing background write drops the batch and reports it instead of throwing', async (t) => {
  const log = setup(t);
  const failures: number[] = [];
  let fail = true;
  const flaky: PredictionLog = {
    append: (rows) => { if (fail) throw new Error('disk full'); log.append(rows); },
    recent: (n) => log.recent(n),
    count: () => log.count(),
  };
  const writer = createBatchedWriter(flaky, { maxRows: 2, maxDelayMs: 10, onError: (_err, dropped) => failures.push(dropped.length) });
  writer.push(prediction(1));
  writer.push(prediction(2));
  await sleep(20);
  assert.deepEqual(failures, [2]);
  assert.equal(writer.dropped, 2);
  fail = false;
  writer.push(prediction(3));
  await writer.flush();
  assert.deepEqual(log.recent(5).map((r) => r.requestId), ['req-3']);
  fail = true;
  writer.push(prediction(4));
  await assert.rejects(writer.flush(), /disk full/, 'an explicit flush reports the failure to its caller');
});
