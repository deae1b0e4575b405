/**
 * Two server processes on one PostgreSQL store: both route every user to the same variant (the weight is read
 * from the store, the split is a hash), and only one controller acts (the lease): each step happens once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freshPostgresUrl, postgresBackend } from '../helpers/store-backends.ts';
import { tempDir } from '../helpers/tmp.ts';
import { control, predict, registerTiny, start } from './support.ts';
import { openTestStores } from '../helpers/store-backends.ts';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'replica-child.ts');

function replica(t: { after(fn: () => unknown): void }, url: string, holder: string, registryDir: string): Promise<{ url: string; proc: ChildProcess; stderr: string[] }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, url, holder, registryDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    return new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r)));
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, proc, stderr });
    });
    proc.once('exit', (code) => reject(new Error(`replica ${holder} exited ${code}: ${stderr.join('')}`)));
  });
}

async function until(what: string, fn: () => Promise<boolean>, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// PostgreSQL only (CI sets MLOPS_REQUIRE_POSTGRES, so there it always runs): SQLite replicas would share a file.
if (postgresBackend) test('two replicas on one PostgreSQL store honour the same weights and one controller acts', async (t) => {
  const url = await freshPostgresUrl(t);
  const registryDir = path.join(tempDir(t), 'registry');
  const stores = await openTestStores(t, url, { registryDir });
  await registerTiny(t, stores, ['a', 'b'], [0.8, 0.9]);
  const [r1, r2] = await Promise.all([replica(t, url, 'one', registryDir), replica(t, url, 'two', registryDir)]);
  const s = await start(stores, { strategy: 'canary', steps: [{ weight: 40 }, { pause: {} }, { weight: 60 }, { pause: { requests: 10 } }, { pause: {} }] });
  // Both replicas read the rollout and load the candidate.
  await until('both replicas routing', async () => {
    const models = await Promise.all([r1, r2].map(async (r) => (await (await fetch(`${r.url}/models`)).json()) as any));
    return models.every((m) => m.rollout?.weight === 40 && m.models.some((x: any) => x.alias === 'v2' && x.loaded));
  });
  const compare = async (weight: number) => {
    await until(`both replicas at weight ${weight}`, async () => {
      const models = await Promise.all([r1, r2].map(async (r) => (await (await fetch(`${r.url}/models`)).json()) as any));
      return models.every((m) => m.rollout?.weight === weight && m.models.some((x: any) => x.alias === 'v2' && x.loaded));
    });
    let disagreements = 0;
    let canary = 0;
    for (let i = 0; i < 40; i++) {
      const [a, b] = await Promise.all([predict(r1.url, `user-${i}`), predict(r2.url, `user-${i}`)]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      if (a.variant !== b.variant) disagreements++;
      if (a.variant === 'canary') canary++;
    }
    assert.equal(disagreements, 0, `at weight ${weight} every user gets the same variant from either replica`);
    assert.ok(canary > 0 && canary < 40);
  };
  await compare(40);
  await control(stores).act('food101', 'resume', 'tester');
  await compare(60);
  // 80 requests served at weight 60: the controller holding the lease ends the 10-request pause, once.
  await until('the last pause', async () => (await stores.rollouts.get(s.id))!.currentStep === 4);
  await new Promise((r) => setTimeout(r, 500)); // both replicas have polled (and ticked) several times since
  const events = await stores.rollouts.events(s.id);
  const steps = events.filter((e) => e.kind === 'step').map((e) => e.message.slice(0, 8));
  assert.deepEqual(steps, ['step 1/5', 'step 3/5', 'step 4/5'], 'each step was taken once, by one controller');
  const holder = (await stores.rollouts.leaseHolder('rollout:food101'))!.holder;
  assert.ok(holder === 'one' || holder === 'two');
});
