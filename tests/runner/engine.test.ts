/**
 * The engine end to end through the real CLI, with self-contained local steps: caching, --force, --set, resume
 * after SIGKILL and SIGINT mid-stage (identical outputs, nothing half-written), the run record.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exited, runCli, spawnCli, waitFor } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');

function project(t: Parameters<typeof tempDir>[0], slow = { parts: 6, delay_ms: 150 }): string {
  const dir = tempDir(t, 'f101-engine-');
  for (const f of ['slow-step.ts', 'echo-step.ts']) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    [
      'name: engine-test',
      'data: { root: . }',
      'stages:',
      '  first: { step: ./echo-step.ts, with: { text: one } }',
      `  middle: { step: ./slow-step.ts, with: { parts: ${slow.parts}, delay_ms: ${slow.delay_ms}, text: mid } }`,
      '  last: { step: ./echo-step.ts, with: { text: three } }',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Every file under outputs/ except logs, the cache state and the test marker, with its sha256. */
function outputsDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const root = path.join(dir, 'outputs');
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(root, full);
      if (rel === 'logs' || rel === '.state' || rel === 'started') continue;
      if (e.isDirectory()) walk(full);
      else out[rel] = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(root);
  return out;
}

test('a second run is cached; --set reruns what changed and what depends on it; --force reruns', (t) => {
  const dir = project(t, { parts: 2, delay_ms: 1 });
  const first = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /3 ran, 0 cached/);
  const second = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /0 ran, 3 cached/);
  const changed = runCli(['run', 'pipeline.yaml', '--set', 'stages.last.with.text=changed'], { cwd: dir });
  assert.match(changed.stderr, /1 ran, 2 cached/);
  assert.equal(fs.readFileSync(path.join(dir, 'outputs', 'last.txt'), 'utf8'), 'changed\n');
  const forced = runCli(['run', 'pipeline.yaml', '--only', 'first', '--force'], { cwd: dir });
  assert.match(forced.stderr, /1 ran, 0 cached/);
});

test('each run keeps a log file and the resolved pipeline (with overrides) under outputs/logs', (t) => {
  const dir = project(t, { parts: 1, delay_ms: 1 });
  const r = runCli(['run', 'pipeline.yaml', '--set', 'stages.first.with.text=overridden'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const logs = fs.readdirSync(path.join(dir, 'outputs', 'logs'));
  const resolved = logs.find((f) => f.endsWith('.pipeline.yaml'));
  const log = logs.find((f) => f.endsWith('.log'));
  assert.ok(resolved && log, logs.join(','));
  assert.match(fs.readFileSync(path.join(dir, 'outputs', 'logs', resolved), 'utf8'), /text: overridden/);
  const logText = fs.readFileSync(path.join(dir, 'outputs', 'logs', log), 'utf8');
  assert.match(logText, /\[middle\] running step/);
  assert.match(logText, /debug/);
});

test('a run killed (SIGKILL) in the middle of a stage resumes there and ends with identical outputs', async (t) => {
  const reference = project(t);
  assert.equal(runCli(['run', 'pipeline.yaml'], { cwd: reference }).code, 0);

  const dir = project(t);
  const child = spawnCli(['run', 'pipeline.yaml'], { cwd: dir });
  const marker = path.join(dir, 'outputs', 'started');
  await waitFor(() => fs.existsSync(marker), 120_000, 'the middle stage to start');
  await new Promise((r) => setTimeout(r, 300)); // a few parts written, not all
  child.kill('SIGKILL');
  await exited(child);
  assert.ok(!fs.existsSync(path.join(dir, 'outputs', 'middle', 'index.txt')), 'the killed stage must not look finished');
  assert.ok(!fs.existsSync(path.join(dir, 'outputs', '.state', 'middle.json')));

  const again = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /first\s+cached/);
  assert.match(again.stderr, /2 ran, 1 cached/);
  assert.deepEqual(outputsDigest(dir), outputsDigest(reference));
  const leftovers = fs.readdirSync(path.join(dir, 'outputs')).filter((f) => f.includes('.tmp-'));
  assert.deepEqual(leftovers, []);
});

test('Ctrl-C (SIGINT) stops the run with exit code 130; the next run resumes from the interrupted stage', async (t) => {
  const dir = project(t);
  const child = spawnCli(['run', 'pipeline.yaml'], { cwd: dir });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => fs.existsSync(path.join(dir, 'outputs', 'started')), 120_000, 'the middle stage to start');
  child.kill('SIGINT');
  const { code } = await exited(child);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted; the next run resumes from it/);
  assert.ok(fs.existsSync(path.join(dir, 'outputs', '.state', 'first.json')));
  assert.ok(!fs.existsSync(path.join(dir, 'outputs', '.state', 'middle.json')));
  const again = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.match(again.stderr, /2 ran, 1 cached/);
});

test('plan lists stages with cached / pending / missing step', (t) => {
  const dir = project(t, { parts: 1, delay_ms: 1 });
  assert.equal(runCli(['run', 'pipeline.yaml', '--until', 'middle'], { cwd: dir }).code, 0);
  const plan = runCli(['plan', 'pipeline.yaml'], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /first\s+\.\/echo-step\.ts\s+cpu\s+cached/);
  assert.match(plan.stdout, /middle\s+\.\/slow-step\.ts\s+cpu\s+cached/);
  assert.match(plan.stdout, /last\s+\.\/echo-step\.ts\s+cpu\s+pending: never ran/);
  fs.appendFileSync(path.join(dir, 'pipeline.yaml'), '  extra: { step: splt }\n');
  const missing = runCli(['plan', 'pipeline.yaml'], { cwd: dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /extra\s+splt\s+missing step: unknown step 'splt' \(did you mean 'split'\?\)/);
});

test('unknown stage names in --only/--from/--until are usage errors with a suggestion', (t) => {
  const dir = project(t, { parts: 1, delay_ms: 1 });
  const r = runCli(['run', 'pipeline.yaml', '--only', 'midle'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--only midle: no stage named 'midle' \(did you mean 'middle'\?\)/);
});
