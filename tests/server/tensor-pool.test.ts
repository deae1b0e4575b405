/** The shared input-tensor pool: slots are distinct, reusable, located by offset, and run out cleanly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TensorPool } from '../../server/tensor-pool.ts';

test('slots are distinct views of one shared buffer, returned on release, undefined when exhausted', () => {
  const pool = new TensorPool(6, 3);
  assert.equal(pool.slots, 3);
  const [a, b, c] = [pool.acquire()!, pool.acquire()!, pool.acquire()!];
  assert.equal(pool.acquire(), undefined);
  assert.deepEqual(new Set([pool.offsetOf(a.view), pool.offsetOf(b.view), pool.offsetOf(c.view)]), new Set([0, 6, 12]));
  a.view.fill(1);
  b.view.fill(2);
  assert.deepEqual([...a.view], [1, 1, 1, 1, 1, 1], 'writing one slot leaves the others alone');
  b.release();
  b.release(); // idempotent
  assert.equal(pool.available, 1);
  const again = pool.acquire()!;
  assert.equal(pool.offsetOf(again.view), pool.offsetOf(b.view));
  assert.equal(pool.offsetOf(new Float32Array(6)), undefined);
  assert.ok(again.view.buffer instanceof SharedArrayBuffer);
  assert.equal(pool.slots, 3, 'the size does not move with use');
});
