/** The micro-batcher: immediate runs when idle, batches while busy, bounded batch size, errors per batch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../../server/batcher.ts';

/** A fake model: output row i = [sum of input i, n]; each run takes `ms` and is recorded. */
function fakeModel(ms = 5, fail?: (n: number) => boolean) {
  const runs: number[] = [];
  const infer = async (inputs: readonly Float32Array[]) => {
    const n = inputs.length;
    runs.push(n);
    await new Promise((r) => setTimeout(r, ms));
    if (fail?.(n)) throw new Error(`run of ${n} failed`);
    const out = new Float32Array(n * 2);
    inputs.forEach((x, i) => {
      out[2 * i] = x.reduce((a, b) => a + b, 0);
      out[2 * i + 1] = n;
    });
    return out;
  };
  return { runs, infer };
}

const input = (v: number) => new Float32Array(4).fill(v);

test('an idle batcher runs a single request at once (synchronously dispatched, no wait), alone', async () => {
  const m = fakeModel(1);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 60_000, infer: m.infer });
  const pending = b.run(input(2));
  assert.deepEqual(m.runs, [1], 'the run started before run() returned');
  assert.deepEqual([...(await pending)], [8, 1]);
});

test('arrivals during a run go together in the next run, each gets its own row', async () => {
  const m = fakeModel(10);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 2, infer: m.infer });
  const first = b.run(input(1));
  const rest = Array.from({ length: 5 }, (_, i) => b.run(input(i + 10)));
  const outs = await Promise.all([first, ...rest]);
  assert.deepEqual(m.runs, [1, 5]);
  assert.deepEqual(outs.map((o) => o[0]), [4, 40, 44, 48, 52, 56]);
  assert.deepEqual(outs.slice(1).map((o) => o[1]), [5, 5, 5, 5, 5]);
});

test('batches never exceed maxBatch', async () => {
  const m = fakeModel(5);
  const b = new Batcher({ itemSize: 4, maxBatch: 4, maxWaitMs: 2, infer: m.infer });
  const outs = await Promise.all(Array.from({ length: 11 }, (_, i) => b.run(input(i))));
  assert.deepEqual(m.runs, [1, 4, 4, 2]);
  assert.deepEqual(outs.map((o) => o[0]), Array.from({ length: 11 }, (_, i) => 4 * i));
});

test('a failing run rejects its own requests only; the batcher keeps going', async () => {
  const m = fakeModel(5, (n) => n === 3);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 2, infer: m.infer });
  const results = await Promise.allSettled([b.run(input(1)), b.run(input(2)), b.run(input(3)), b.run(input(4))]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected']);
  assert.deepEqual([...(await b.run(input(5)))], [20, 1]);
  await b.idle();
  assert.equal(b.busy, false);
});

test('a wrong-sized input is refused without running', async () => {
  const m = fakeModel(1);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 2, infer: m.infer });
  await assert.rejects(b.run(new Float32Array(3)), /3 floats, expected 4/);
  assert.deepEqual(m.runs, []);
});

test('an idle model waits for announced inputs and runs them together', async () => {
  const m = fakeModel(1);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 60_000, infer: m.infer });
  const [a1, a2] = [b.announce(), b.announce()];
  const first = b.run(input(1), a1);
  assert.deepEqual(m.runs, [], 'waits: another input is on its way');
  const second = b.run(input(2), a2);
  assert.deepEqual(m.runs, [2], 'ran as soon as the announced input arrived');
  assert.deepEqual([(await first)[0], (await second)[0]], [4, 8]);
});

test('a withdrawn announcement (failed decode) releases the waiting batch at once', async () => {
  const m = fakeModel(1);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 60_000, infer: m.infer });
  const [a1, a2] = [b.announce(), b.announce()];
  const first = b.run(input(3), a1);
  assert.deepEqual(m.runs, []);
  a2.withdraw();
  a2.withdraw(); // idempotent
  assert.deepEqual(m.runs, [1]);
  assert.equal((await first)[0], 12);
});

test('the wait for announced inputs is bounded by maxWaitMs', async () => {
  const m = fakeModel(1);
  const b = new Batcher({ itemSize: 4, maxBatch: 16, maxWaitMs: 5, infer: m.infer });
  const a1 = b.announce();
  b.announce(); // never arrives
  assert.equal((await b.run(input(1), a1))[0], 4);
  assert.deepEqual(m.runs, [1]);
});

/** A model whose runs finish only when the test says so: what is in flight at any moment is visible. */
function heldModel() {
  const started: { n: number; lone: boolean; finish(): void }[] = [];
  const infer = (inputs: readonly Float32Array[], lone: boolean) =>
    new Promise<Float32Array>((resolve) => {
      const n = inputs.length;
      started.push({ n, lone, finish: () => resolve(new Float32Array(n).fill(n)) });
    });
  return { started, infer };
}

test('with maxConcurrentRuns 2 the next batch starts while one computes, never a third; with 1 it waits', async () => {
  for (const runs of [1, 2]) {
    const m = heldModel();
    const b = new Batcher({ itemSize: 4, maxBatch: 2, maxWaitMs: 0, maxConcurrentRuns: runs, infer: m.infer });
    const outs = Array.from({ length: 6 }, (_, i) => b.run(input(i)));
    await new Promise((r) => setImmediate(r));
    assert.equal(m.started.length, runs, `${runs} run(s) in flight at once`);
    // The first run went alone (nothing else queued yet) and was lone; a run started while another computes is not
    // (nothing announced: the second starts at once with what is queued).
    assert.equal(m.started[0]!.lone, true);
    if (runs === 2) assert.deepEqual(m.started.map((s) => [s.n, s.lone]), [[1, true], [1, false]]);
    // Finishing one run frees one slot: exactly one more starts, a full batch of what queued meanwhile.
    m.started[0]!.finish();
    await new Promise((r) => setImmediate(r));
    assert.equal(m.started.length, runs + 1);
    assert.equal(m.started.at(-1)!.n, 2);
    for (let i = 0; i < 10 && m.started.reduce((a, s) => a + s.n, 0) < 6; i++) {
      m.started.forEach((s) => s.finish());
      await new Promise((r) => setImmediate(r));
    }
    m.started.forEach((s) => s.finish());
    const rows = await Promise.all(outs);
    assert.equal(rows.length, 6);
    assert.equal(m.started.reduce((a, s) => a + s.n, 0), 6, 'every input ran exactly once');
    assert.equal(b.busy, false);
  }
  assert.throws(() => new Batcher({ itemSize: 4, maxBatch: 2, maxWaitMs: 0, maxConcurrentRuns: 0, infer: heldModel().infer }), /maxConcurrentRuns/);
});
