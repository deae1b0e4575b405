/**
 * One state file per shard (`train@0of2.json`), so shard processes never overwrite each other's; downstream
 * stages see the shards combined (content hash over all of them), and a whole run supersedes the shards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { StageStates, type StageState } from '../../runner/stage-state.ts';
import { tempDir } from '../helpers/tmp.ts';

function state(shard: string | undefined, content: string, at: string): StageState {
  return { stage: 'train', step: 'train', stepVersion: 1, key: `k-${shard ?? 'all'}`, result: { experimentId: 1 }, shard, contentHash: content, outputs: [], finishedAt: at, seconds: 1 };
}

test('shard states are separate files, combined for downstream stages; a whole run supersedes them and back', (t) => {
  const dir = tempDir(t, 'f101-states-');
  const states = new StageStates(path.join(dir, '.state'), dir);
  states.write(state('1/2', 'b', '2026-01-01T00:00:02Z'));
  assert.equal(states.readCombined('train')?.shard, '1/2');
  const half = states.readCombined('train')!.contentHash;
  states.write(state('0/2', 'a', '2026-01-01T00:00:03Z'));
  assert.deepEqual(fs.readdirSync(path.join(dir, '.state')).sort(), ['train@0of2.json', 'train@1of2.json']);
  const both = states.readCombined('train')!;
  assert.equal(both.shard, '0/2, 1/2');
  assert.notEqual(both.contentHash, half, 'the combined content depends on every shard');
  assert.equal(states.read('train'), undefined);

  states.write(state(undefined, 'w', '2026-01-01T00:00:04Z'));
  assert.deepEqual(fs.readdirSync(path.join(dir, '.state')), ['train.json']);
  assert.equal(states.readCombined('train')?.shard, undefined);
  states.write(state('0/3', 'c', '2026-01-01T00:00:05Z'));
  assert.deepEqual(fs.readdirSync(path.join(dir, '.state')), ['train@0of3.json']);
});
