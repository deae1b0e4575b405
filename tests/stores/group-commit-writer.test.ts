/**
 * The group-commit writer (`log_durability: answered`): a commit resolves only after its row's write finished, rows
 * of concurrent commits share writes, a failed or hung write rejects exactly its batch, and nothing is written twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitTimeoutError, createGroupCommitWriter } from '../../stores/group-commit-writer.ts';
import type { PredictionRecord } from '../../stores/prediction-log.ts';

function row(i: number): PredictionRecord {
  return { requestId: `r${i}`, ts: i, modelName: 'm', modelVersion: 1, alias: 'champion', topK: [], latencyMs: 1, imageSha256: null, inputStats: null };
}

/** A store whose appends finish only when the test says so. */
function gatedStore() {
  const calls: { rows: string[]; done: boolean; finish(err?: Error): void }[] = [];
  return {
    calls,
    append(rows: readonly PredictionRecord[]) {
      return new Promise<void>((resolve, reject) => {
        const call = { rows: rows.map((r) => r.requestId), done: false, finish: (err?: Error) => ((call.done = true), err ? reject(err) : resolve()) };
        calls.push(call);
      });
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Waits (bounded) until `cond` holds: the writer reschedules after a few promise hops and an immediate. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !cond(); i++) await tick();
  assert.ok(cond(), 'condition not reached within 50 ticks');
}

describe('group commit writer', () => {
  it('an idle writer writes a lone row at once, and the commit waits for that write', async () => {
    const store = gatedStore();
    const w = createGroupCommitWriter(store, { maxDelayMs: 1000 });
    let done = false;
    const c = w.commit(row(1)).then(() => (done = true));
    await tick();
    assert.deepEqual(store.calls.map((x) => x.rows), [['r1']], 'written without waiting for maxDelayMs');
    await tick();
    assert.equal(done, false, 'not committed before the write finished');
    store.calls[0]!.finish();
    await c;
    assert.equal(w.written, 1);
  });

  it('rows arriving during a write share the next one (one write per group), each row written once', async () => {
    const store = gatedStore();
    const w = createGroupCommitWriter(store, { maxWrites: 1, maxRows: 100 });
    const commits = [w.commit(row(0))];
    await tick();
    for (let i = 1; i <= 40; i++) commits.push(w.commit(row(i)));
    await tick();
    assert.equal(store.calls.length, 1, 'one write in flight at most');
    assert.equal(w.pending, 40);
    store.calls[0]!.finish();
    await until(() => store.calls.length === 2);
    assert.equal(store.calls[1]!.rows.length, 40, 'the 40 waiting rows went in one write');
    store.calls[1]!.finish();
    await Promise.all(commits);
    assert.deepEqual(store.calls.flatMap((c) => c.rows).sort(), Array.from({ length: 41 }, (_, i) => `r${i}`).sort());
    assert.equal(w.writes, 2);
  });

  it('a second write starts after maxDelayMs, or at once with maxRows waiting, never more than maxWrites', async () => {
    const store = gatedStore();
    const w = createGroupCommitWriter(store, { maxWrites: 2, maxRows: 3, maxDelayMs: 20 });
    void w.commit(row(0));
    await tick();
    void w.commit(row(1));
    await tick();
    assert.equal(store.calls.length, 1, 'one row waits (under maxRows) while a write is in flight');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(store.calls.length, 2, 'after maxDelayMs it gets a write of its own');
    for (let i = 2; i < 8; i++) void w.commit(row(i));
    await tick();
    assert.equal(store.calls.length, 2, 'maxWrites in flight: the rest wait');
    store.calls[0]!.finish();
    await until(() => store.calls.length === 3);
    assert.equal(store.calls[2]!.rows.length, 3, 'a batch holds at most maxRows');
    const flushed = w.flush();
    while (w.written < 8) {
      for (const c of store.calls) if (!c.done) c.finish();
      await tick();
    }
    await flushed;
    assert.equal(store.calls.length, 4, '8 rows: 1 + 1 + 3 + 3');
  });

  it('a failed write rejects the commits of its batch only; later rows are written', async () => {
    const store = gatedStore();
    const w = createGroupCommitWriter(store, { maxWrites: 1 });
    const a = w.commit(row(1));
    await tick();
    store.calls[0]!.finish(new Error('database is locked'));
    await assert.rejects(a, /database is locked/);
    const b = w.commit(row(2));
    await until(() => store.calls.length === 2);
    store.calls[1]!.finish();
    await b;
    assert.equal(w.written, 1);
  });

  it('a hung store rejects the commit after timeoutMs (the request is not held), and push counts its failures', async () => {
    const store = gatedStore();
    const errors: number[] = [];
    const w = createGroupCommitWriter(store, { maxWrites: 1, timeoutMs: 30, onError: (_e, n) => errors.push(n) });
    await assert.rejects(w.commit(row(1)), (err: unknown) => err instanceof CommitTimeoutError && /took over 30 ms/.test(err.message));
    w.push(row(2));
    await tick();
    assert.equal(store.calls.length, 1, 'the hung write still holds its slot: no second write piles onto the store');
    store.calls[0]!.finish();
    await until(() => store.calls.length === 2);
    store.calls[1]!.finish(new Error('disk full'));
    await w.flush();
    assert.deepEqual(errors, [1]);
    assert.equal(w.dropped, 1);
  });

  it('close writes what waits, then refuses rows', async () => {
    const rows: string[] = [];
    const w = createGroupCommitWriter({ append: async (r) => void rows.push(...r.map((x) => x.requestId)) });
    const c = w.commit(row(1));
    await w.close();
    await c;
    assert.deepEqual(rows, ['r1']);
    await assert.rejects(w.commit(row(2)), /closed/);
  });
});
