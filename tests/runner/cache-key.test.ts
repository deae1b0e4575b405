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

test("a step's fingerprint is in the key: the features stage reruns when the preprocessing id changes", async (t) => {
  const dir = tempDir(t, 'f101-key-');
  const hasher: FileHasher = { sha256Many: (paths) => Promise.all(paths.map((p) => sha256File(p))) };
  const config = { workdir: dir, sections: {} } as unknown as PipelineConfig;
  const view = { workdir: dir, resolvePath: (p: string) => path.resolve(dir, p), section: () => ({}) as never };
  let id = 'aaaa';
  const stage = { name: 's', step: { name: 'x', version: 1, fingerprint: async () => ({ preprocessingId: id }) }, params: {}, needs: {} } as unknown as StageConfig;
  const before = await stageKey(config, stage, {}, view, hasher);
  assert.equal(await stageKey(config, stage, {}, view, hasher), before);
  id = 'bbbb';
  assert.notEqual(await stageKey(config, stage, {}, view, hasher), before);
  // The real features step fingerprints with the preprocessing id of the backbone section's spec.
  const { featuresStep } = await import('../../steps/features/index.ts');
  const { preprocessingId, DEFAULT_PREPROCESS } = await import('../../ml/preprocess/index.ts');
  const sectionView = { ...view, section: () => ({ preprocessing: {} }) as never };
  assert.deepEqual(await featuresStep.fingerprint!({} as never, sectionView), { preprocessingId: preprocessingId(DEFAULT_PREPROCESS) });
});
