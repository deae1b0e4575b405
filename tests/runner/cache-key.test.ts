/**
 * The key's input hashing: large inputs are hashed in chunks with progress between them (a first run over 100k
 * photos says where it is), and the chunking does not change the key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { stageKey, type FileHasher } from '../../runner/cache-key.ts';
import type { PipelineConfig, StageConfig } from '../../runner/config/pipeline-config.ts';
import { sha256File } from '../../runner/hash.ts';
import { tempDir } from '../helpers/tmp.ts';

test('input files are hashed in chunks with progress; the key is the same with or without a listener', async (t) => {
  const dir = tempDir(t, 'f101-key-');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(data, `${i}.txt`), String(i));
  let calls = 0;
  const hasher: FileHasher = {
    sha256Many: (paths) => {
      calls++;
      return Promise.all(paths.map((p) => sha256File(p)));
    },
  };
  const stage = { name: 's', step: { name: 'x', version: 1, inputs: () => [data] }, params: {}, needs: {} } as unknown as StageConfig;
  const config = { workdir: dir, sections: {} } as unknown as PipelineConfig;
  const view = { workdir: dir, resolvePath: (p: string) => path.resolve(dir, p), section: () => ({}) as never };
  const seen: [number, number][] = [];
  const withProgress = await stageKey(config, stage, {}, view, hasher, { onProgress: (done, total) => seen.push([done, total]) });
  assert.deepEqual(seen, [[2000, 2500], [2500, 2500]]);
  assert.equal(calls, 2);
  assert.equal(await stageKey(config, stage, {}, view, hasher), withProgress);
  fs.writeFileSync(path.join(data, '7.txt'), 'changed');
  assert.notEqual(await stageKey(config, stage, {}, view, hasher), withProgress, 'content is in the key');
});
