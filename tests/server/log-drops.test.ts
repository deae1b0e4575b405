/**
 * Prediction rows lost by the log (a locked store, a full disk) are counted, not silent: the sink's `dropped` is
 * exported as `prediction_log_dropped_rows`, next to the upload budget in use.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { staticModelSource } from '../../server/model-source.ts';
import type { PredictionRecord, PredictionSink } from '../../server/prediction-sink.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { postFiles, startTestApp, tinyVersion } from './fixtures.ts';

const photo = fs.readFileSync(path.join(miniDataDir, 'images/pizza', fs.readdirSync(path.join(miniDataDir, 'images/pizza')).sort()[0]!));

test('a sink that loses rows shows them in /metrics as prediction_log_dropped_rows', async (t) => {
  // A sink whose every write fails, as a locked store would make it: it keeps the count.
  let dropped = 0;
  const sink: PredictionSink = {
    push: () => void dropped++,
    close: async () => {},
    get pending() {
      return 0;
    },
    get dropped() {
      return dropped;
    },
  };
  const v = tinyVersion(path.join(tempDir(t, 'f101-drops-'), 'v1'), 1, ['a', 'b'], 1);
  const { url } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), predictionLog: sink });
  for (let i = 0; i < 3; i++) assert.equal((await postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }])).status, 200);
  const text = await (await fetch(`${url}/metrics`)).text();
  assert.match(text, /^prediction_log_dropped_rows 3$/m);
  assert.match(text, /^upload_budget_used_bytes 0$/m);
});

/** A durable sink (log_durability: answered) whose commits the test settles. */
function gatedCommitSink() {
  const waiting: { row: PredictionRecord; settle(err?: Error): void }[] = [];
  const sink: PredictionSink = {
    push() {},
    commit: (row) => new Promise<void>((resolve, reject) => waiting.push({ row, settle: (err) => (err ? reject(err) : resolve()) })),
    close: async () => {},
  };
  return { sink, waiting };
}

test('log_durability answered: the answer waits for its row to be committed', async (t) => {
  const { sink, waiting } = gatedCommitSink();
  const v = tinyVersion(path.join(tempDir(t, 'f101-commit-'), 'v1'), 1, ['a', 'b'], 1);
  const { url } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), predictionLog: sink });
  let answered = false;
  const res = postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }]).then((r) => ((answered = true), r));
  for (let i = 0; i < 200 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(waiting.length, 1, 'the row was handed to the sink');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(answered, false, 'no answer before the commit');
  waiting[0]!.settle();
  const r = await res;
  assert.equal(r.status, 200);
  assert.equal((r.body as { request_id: string }).request_id, waiting[0]!.row.requestId, 'the committed row is the answered one');
});

test('log_durability answered: a row that cannot be committed answers 503 + Retry-After (safe to resend), counted', async (t) => {
  const { sink, waiting } = gatedCommitSink();
  const v = tinyVersion(path.join(tempDir(t, 'f101-commit-fail-'), 'v1'), 1, ['a', 'b'], 1);
  const { url } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), predictionLog: sink });
  const res = postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }]);
  for (let i = 0; i < 200 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  waiting[0]!.settle(new Error('connection to the store lost'));
  const r = await res;
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal((r.body as { error: { code: string } }).error.code, 'PREDICTION_LOG_UNAVAILABLE');
  assert.match((r.body as { error: { message: string } }).error.message, /connection to the store lost/);
  const text = await (await fetch(`${url}/metrics`)).text();
  assert.match(text, /^prediction_log_commit_failures_total 1$/m);
  assert.doesNotMatch(text, /^predictions_total\{/m, 'a prediction that was not logged is not counted as answered');
});
