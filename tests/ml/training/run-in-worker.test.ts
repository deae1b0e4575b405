import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runInWorker, shareDataset } from '../../../ml/training/run-in-worker.ts';
import { trainRun } from '../../../ml/training/train-run.ts';
import type { EpochMetrics } from '../../../ml/training/types.ts';
import { repoRoot } from '../../helpers/paths.ts';
import { headJob } from './fixtures.ts';

describe('runInWorker', () => {
  it('round-trips a job: epochs streamed, the same weights as in-process, caller buffers intact', async () => {
    const base = headJob({ hyper: { lr: 0.01, epochs: 3, batch_size: 32 } });
    // A view into a larger buffer: only the view is sent, and the caller keeps its buffer.
    const big = new Float32Array(base.train.x.length + 1000);
    big.set(base.train.x, 1000);
    const job = { ...base, train: { ...base.train, x: big.subarray(1000) } };
    const seen: EpochMetrics[] = [];
    const events: string[] = [];
    const r = await runInWorker(job, { onEpoch: (e) => (seen.push(e), events.push('epoch')), onBackend: (b) => events.push(`backend ${b.name}`) });
    assert.equal(r.backend.name, 'wasm');
    assert.deepEqual(events, ['backend wasm', 'epoch', 'epoch', 'epoch']);
    assert.deepEqual(seen.map((e) => e.epoch), [1, 2, 3]);
    assert.deepEqual(seen, r.epochs);
    assert.ok(r.artifacts.weightData instanceof ArrayBuffer && r.artifacts.weightData.byteLength > 0);
    assert.equal(job.train.x.length, 256 * 24, 'the caller\'s buffer is not detached');
    assert.equal(big.length, 256 * 24 + 1000);
    const local = await trainRun(job, () => {});
    assert.deepEqual(new Float32Array(r.artifacts.weightData), new Float32Array(local.artifacts.weightData));
  });

  it('shares SharedArrayBuffer-backed data between two runs at once', async () => {
    const base = headJob({ hyper: { lr: 0.01, epochs: 2, batch_size: 32 } });
    const train = shareDataset(base.train);
    assert.ok(train.x.buffer instanceof SharedArrayBuffer);
    const [a, b] = await Promise.all([runInWorker({ ...base, train }), runInWorker({ ...base, train, hyper: { ...base.hyper, seed: 3 } })]);
    assert.equal(a.epochs.length, 2);
    assert.equal(b.epochs.length, 2);
    assert.notDeepEqual(new Float32Array(a.artifacts.weightData), new Float32Array(b.artifacts.weightData));
    assert.equal(train.x.length, 256 * 24);
  });

  it('an error inside the worker comes back as an Error with its message and the worker\'s stack', async () => {
    const err = await runInWorker(headJob({ family: 'no-such-family' })).then(
      () => assert.fail('should reject'),
      (e: unknown) => e as Error,
    );
    assert.ok(err instanceof Error);
    assert.match(err.message, /unknown architecture family 'no-such-family'/);
    assert.match(err.stack ?? '', /families\/index\.ts/);
  });

  it('abort terminates the worker and rejects with the signal\'s reason', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const p = runInWorker(headJob({ hyper: { lr: 0.01, epochs: 500, batch_size: 32 } }), {
      signal: ac.signal,
      onEpoch: (e) => {
        seen.push(e.epoch);
        if (e.epoch === 1) ac.abort(new Error('stop now'));
      },
    });
    await assert.rejects(p, /stop now/);
    assert.ok(seen.length < 500);
    await assert.rejects(runInWorker(headJob(), { signal: AbortSignal.abort(new Error('already')) }), /already/);
  });

  it('works from a plain `node` start that registered tsx programmatically (like bin/pipeline.js)', () => {
    const modUrl = pathToFileURL(`${repoRoot}/ml/training/run-in-worker.ts`).href;
    const script = `
      import { register } from 'tsx/esm/api';
      register();
      const { runInWorker } = await import(${JSON.stringify(modUrl)});
      const n = 64, d = 8;
      const x = Float32Array.from({ length: n * d }, (_, i) => ((i % d) === (Math.floor(i / d) % 2) ? 2 : 0) + Math.sin(i));
      const y = Int32Array.from({ length: n }, (_, i) => i % 2);
      const r = await runInWorker({ family: 'head', spec: { family: 'head', layers: [] }, hyper: { lr: 0.05, epochs: 2, batch_size: 16 },
        backend: 'auto', numClasses: 2, train: { x, y, n }, inputDim: d });
      console.log(JSON.stringify({ epochs: r.epochs.length, backend: r.backend.name }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout.trim().split('\n').at(-1)!), { epochs: 2, backend: 'wasm' });
  });
});
