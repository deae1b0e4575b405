/**
 * Several inference workers of one model (server/session-pool.ts): runs started together go to different workers,
 * lone requests go to the first (the one with the low-latency session), and a crash of the inference takes every
 * worker down and brings every one back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createSession } from '../../server/ort-session.ts';
import { tinyClassifier, TINY_SPEC } from './fixtures.ts';

const dims = [3, TINY_SPEC.crop, TINY_SPEC.crop];
const image = () => new Float32Array(3 * TINY_SPEC.crop * TINY_SPEC.crop).fill(0.5);

/** Counts the results each worker sends back. */
function countResults(workers: readonly Worker[]): number[] {
  const counts = workers.map(() => 0);
  workers.forEach((w, i) => w.on('message', (m: { type: string }) => void (m.type === 'result' && counts[i]!++)));
  return counts;
}

test('two workers: runs in flight together land on different workers, a lone run on the first, answers correct', async (t) => {
  const session = await createSession(tinyClassifier([0, 2, 1]), { busy: 1, idle: 2 }, 'worker', undefined, { hangMs: 10_000 }, 2);
  t.after(() => session.release());
  const workers = session.workers();
  assert.equal(workers.length, 2);
  assert.notEqual(workers[0]!.threadId, workers[1]!.threadId);
  const counts = countResults(workers);

  const outs = await Promise.all([session.run([image()], dims), session.run([image(), image()], dims)]);
  assert.deepEqual(counts, [1, 1], 'one run per worker');
  assert.deepEqual([...outs[0]!.data], [0, 2, 1]);
  assert.deepEqual([...outs[1]!.data], [0, 2, 1, 0, 2, 1]);

  await session.run([image()], dims, true);
  assert.deepEqual(counts, [2, 1], 'the lone run went to the first worker');
  // While the first is busy, a lone run takes the other rather than wait.
  await Promise.all([session.run([image()], dims), session.run([image()], dims, true)]);
  assert.deepEqual(counts, [3, 2]);
});

test('a crash takes every worker of the pool down; the pool says recovering, then serves again on new workers', async (t) => {
  const session = await createSession(tinyClassifier([1, 0]), { busy: 1, idle: 1 }, 'worker', undefined, { hangMs: 10_000 }, 2);
  t.after(() => session.release());
  const before = session.workers();
  const exits = before.map((w) => new Promise<number>((r) => w.once('exit', r)));
  session.kill();
  assert.deepEqual(await Promise.all(exits), [1, 1]);
  assert.equal(session.status(), 'recovering');
  assert.equal(session.alive(), false);
  await assert.rejects(session.run([image()], dims), { name: 'InferenceUnavailableError' });
  const until = Date.now() + 10_000;
  while (session.status() !== 'ok' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(session.status(), 'ok');
  const after = session.workers();
  assert.equal(after.length, 2);
  assert.ok(after.every((w) => !before.includes(w)), 'both are new workers');
  assert.deepEqual([...(await session.run([image()], dims)).data], [1, 0]);
});
