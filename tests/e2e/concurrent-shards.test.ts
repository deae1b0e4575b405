/**
 * Three shard processes started at once (`--only train --shard i/3`) against one store, then aggregate, give the
 * single-process winner: in one workdir (scoped shard locks, one state file per shard), with one shard killed
 * mid-way and run again, and as the Kubernetes Indexed Job: three pod workdirs sharing the store and an
 * S3-compatible artifact store (s3rver, started here), one pod killed and retried in a fresh copy, and the finalize
 * Job fetching every pod's model from S3.
 * PostgreSQL when MLOPS_TEST_POSTGRES_URL is set (required under CI), else SQLite (its writers wait on busy locks).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { writeSmallPipeline } from '../helpers/small-pipeline.ts';
import { startS3Server } from '../helpers/s3-server.ts';
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

/**
 * Runs the three shards at once (shard i in `dirs[i]`), SIGKILLs shard 1 once it has started training (a pod
 * evicted mid-way), and checks that 0 and 2 finished and 1 did not. Returns the survivors' results.
 */
async function threeShardsOneKilled(dirs: readonly string[], env: NodeJS.ProcessEnv) {
  const children = [0, 1, 2].map((i) => shard(dirs[i]!, i, env));
  const done = children.map(exited);
  let err1 = '';
  children[1]!.stderr!.on('data', (d: Buffer) => {
    err1 += d.toString();
    if (/shard 1\/3: 2 of 6 runs/.test(err1)) setTimeout(() => children[1]!.kill('SIGKILL'), 1500);
  });
  const [r0, r1, r2] = await Promise.all(done);
  assert.equal(r0!.code, 0, r0!.stderr);
  assert.equal(r2!.code, 0, r2!.stderr);
  assert.notEqual(r1!.code, 0, 'shard 1 was killed');
  return [r0!, r2!];
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
    // Shard 1 is killed once it has started training, then retried.
    for (const r of await threeShardsOneKilled([dir, dir, dir], env)) assert.doesNotMatch(r.stderr, /another run is using this workdir/);
    const retry = runCli(['run', 'pipeline.yaml', '--only', 'train', '--shard', '1/3'], { cwd: dir, env });
    assert.equal(retry.code, 0, retry.stderr);
    for (const i of [0, 1, 2]) assert.ok(fs.existsSync(path.join(dir, 'outputs', '.state', `train@${i}of3.json`)), `state of shard ${i}`);
    assert.equal(finishedGridRuns(dir, env).length, 6);
    const agg = runCli(['run', 'pipeline.yaml', '--only', 'aggregate'], { cwd: dir, env });
    assert.equal(agg.code, 0, agg.stderr);
    assert.deepEqual(winnerOf(dir), expected);
  });

  await t.test('the Indexed Job: three pod workdirs on one store and an S3-compatible artifact store, one pod killed and retried in a fresh copy', async (t) => {
    const s3 = await startS3Server({ buckets: ['mlops-job'] });
    t.after(() => s3.close());
    const base = tempDir(t, 'f101-cjob-');
    const prepared = path.join(base, 'prepared');
    fs.mkdirSync(prepared);
    writeSmallPipeline(prepared, 'artifacts: { url: "s3://mlops-job/food101" }\n', LR);
    const env = { ...s3.env, MLOPS_STORE_URL: await storeUrl(t, base) };
    assert.equal(runCli(['run', 'pipeline.yaml', '--until', 'grid'], { cwd: prepared, env }).code, 0);
    // Each pod starts from the prepared workdir (the image + the prepare Job's outputs), as a container would.
    const pod = (name: string) => {
      const dir = path.join(base, name);
      fs.cpSync(prepared, dir, { recursive: true });
      return dir;
    };
    await threeShardsOneKilled([0, 1, 2].map((i) => pod(`pod${i}`)), env);
    // The Job's retry of index 1: a new pod, a fresh copy; the killed pod's workdir is gone with it.
    fs.rmSync(path.join(base, 'pod1'), { recursive: true, force: true });
    const retry = runCli(['run', 'pipeline.yaml', '--only', 'train', '--shard', '1/3'], { cwd: pod('pod1-retry'), env });
    assert.equal(retry.code, 0, retry.stderr);
    for (const name of ['pod0', 'pod1-retry', 'pod2']) fs.rmSync(path.join(base, name), { recursive: true, force: true });
    // The finalize Job: train in the prepared workdir finds every run finished in the store and reuses it, its
    // model fetched from S3 (every pod's copy is gone), then aggregate.
    const agg = runCli(['run', 'pipeline.yaml', '--from', 'train', '--until', 'aggregate'], { cwd: prepared, env });
    assert.equal(agg.code, 0, agg.stderr);
    assert.equal((agg.stderr.match(/reused a finished run/g) ?? []).length, 6, agg.stderr);
    assert.doesNotMatch(agg.stderr, /training it again/);
    assert.ok(fs.existsSync(path.join(prepared, 'experiments', 'cache', 'artifacts', 'sets')), 'models of the pods were fetched through the artifact cache');
    const fetched = (await s3.requests()).filter((r) => r.method === 'GET' && r.path.startsWith('/mlops-job/food101/'));
    assert.ok(fetched.length >= 6, `the finalize Job read the pods' models from S3 (${fetched.length} GETs)`);
    assert.deepEqual(winnerOf(prepared), expected);
  });
});
