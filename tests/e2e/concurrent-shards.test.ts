/**
 * Three shard processes started at once (`--only train --shard i/3`) against one store, then aggregate, give the
 * single-process winner: in one workdir (scoped shard locks, one state file per shard), with one shard killed
 * mid-way and run again (a pod retry), and in three copies of the workdir sharing the store and a filesystem
 * artifact store (the Kubernetes Indexed Job), where aggregate fetches the other copies' models by URI.
 * PostgreSQL when MLOPS_TEST_POSTGRES_URL is set (required under CI), else SQLite (its writers wait on busy locks).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { writeSmallPipeline } from '../helpers/small-pipeline.ts';
import { freshPostgresUrl } from '../helpers/store-backends.ts';
import { tempDir } from '../helpers/tmp.ts';

const LR = '[0.01, 0.03, 0.1]'; // 3 combinations x 2 folds = 6 runs, 2 per shard

interface Winner { architecture: string; combination: string; accuracy: number }

function winnerOf(dir: string): Winner {
  const s = JSON.parse(fs.readFileSync(path.join(dir, 'outputs', 'metrics', 'summary.json'), 'utf8'));
  return { architecture: s.winner.architecture, combination: s.winner.combination, accuracy: s.winner.test.accuracy };
}

async function storeUrl(t: TestContext, dir: string): Promise<string> {
  if (process.env.MLOPS_TEST_POSTGRES_URL) return freshPostgresUrl(t);
  if (process.env.MLOPS_REQUIRE_POSTGRES === '1') throw new Error('MLOPS_REQUIRE_POSTGRES=1 but MLOPS_TEST_POSTGRES_URL is not set: concurrent shards must be tested on PostgreSQL');
  return `sqlite:${path.join(dir, 'shared.db')}`;
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

function shard(dir: string, i: number, env: NodeJS.ProcessEnv): ChildProcess {
  return spawnCli(['run', 'pipeline.yaml', '--only', 'train', '--shard', `${i}/3`], { cwd: dir, env });
}

function finishedGridRuns(dir: string, env: NodeJS.ProcessEnv): string[] {
  const r = runCli(['runs', 'list', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  return [...new Set((JSON.parse(r.stdout) as { name: string; status: string }[]).filter((x) => /_fold\d$/.test(x.name) && x.status === 'finished').map((x) => x.name))].sort();
}

test('three concurrent shard processes + aggregate give the single-process winner', { timeout: 600_000 }, async (t) => {
  const single = tempDir(t, 'f101-single-');
  writeSmallPipeline(single, '', LR);
  const one = runCli(['run', 'pipeline.yaml', '--until', 'aggregate'], { cwd: single, env: { MLOPS_STORE_URL: `sqlite:${path.join(single, 'one.db')}` } });
  assert.equal(one.code, 0, one.stderr);
  const expected = winnerOf(single);

  await t.test('one workdir, one shard killed mid-way and run again', async (t) => {
    const dir = tempDir(t, 'f101-cshards-');
    writeSmallPipeline(dir, '', LR);
    const env = { MLOPS_STORE_URL: await storeUrl(t, dir) };
    assert.equal(runCli(['run', 'pipeline.yaml', '--until', 'grid'], { cwd: dir, env }).code, 0);
    const children = [0, 1, 2].map((i) => shard(dir, i, env));
    const done = children.map(exited);
    // Kill shard 1 once it has started training (a pod evicted mid-way), then retry it.
    let err1 = '';
    children[1]!.stderr!.on('data', (d: Buffer) => {
      err1 += d.toString();
      if (/shard 1\/3: 2 of 6 runs/.test(err1)) setTimeout(() => children[1]!.kill('SIGKILL'), 1500);
    });
    const [r0, r1, r2] = await Promise.all(done);
    assert.equal(r0!.code, 0, r0!.stderr);
    assert.equal(r2!.code, 0, r2!.stderr);
    assert.notEqual(r1!.code, 0, 'shard 1 was killed');
    for (const r of [r0!, r2!]) assert.doesNotMatch(r.stderr, /another run is using this workdir/);
    const retry = runCli(['run', 'pipeline.yaml', '--only', 'train', '--shard', '1/3'], { cwd: dir, env });
    assert.equal(retry.code, 0, retry.stderr);
    for (const i of [0, 1, 2]) assert.ok(fs.existsSync(path.join(dir, 'outputs', '.state', `train@${i}of3.json`)), `state of shard ${i}`);
    assert.equal(finishedGridRuns(dir, env).length, 6);
    const agg = runCli(['run', 'pipeline.yaml', '--only', 'aggregate'], { cwd: dir, env });
    assert.equal(agg.code, 0, agg.stderr);
    assert.deepEqual(winnerOf(dir), expected);
  });

  await t.test('three copies of the workdir sharing the store and an artifact store (the Indexed Job)', async (t) => {
    const base = tempDir(t, 'f101-cjob-');
    const prepared = path.join(base, 'prepared');
    fs.mkdirSync(prepared);
    writeSmallPipeline(prepared, `artifacts: { url: ${JSON.stringify(path.join(base, 'artifacts'))} }\n`, LR);
    const env = { MLOPS_STORE_URL: await storeUrl(t, base) };
    assert.equal(runCli(['run', 'pipeline.yaml', '--until', 'grid'], { cwd: prepared, env }).code, 0);
    const pods = [0, 1, 2].map((i) => path.join(base, `pod${i}`));
    for (const p of pods) fs.cpSync(prepared, p, { recursive: true });
    const results = await Promise.all(pods.map((p, i) => exited(shard(p, i, env))));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    // The finalize Job: train in the prepared workdir finds every run finished in the store and reuses it, its
    // model fetched from the artifact store (the pods' copies are gone), then aggregate.
    const agg = runCli(['run', 'pipeline.yaml', '--from', 'train', '--until', 'aggregate'], { cwd: prepared, env });
    assert.equal(agg.code, 0, agg.stderr);
    assert.equal((agg.stderr.match(/reused a finished run/g) ?? []).length, 6, agg.stderr);
    assert.doesNotMatch(agg.stderr, /training it again/);
    assert.ok(fs.existsSync(path.join(prepared, 'experiments', 'cache', 'artifacts', 'sets')), 'models of the pods were fetched through the artifact cache');
    assert.deepEqual(winnerOf(prepared), expected);
  });
});
