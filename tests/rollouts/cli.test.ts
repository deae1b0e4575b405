/**
 * The rollout spec in the pipeline file is validated like the rest (file:line:col), and the CLI starts, shows,
 * pauses and aborts a rollout on a store, with errors that say what to do.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { smallPipelineHead } from '../helpers/small-pipeline.ts';
import { tempDir } from '../helpers/tmp.ts';
import { world } from './support.ts';

function pipeline(dir: string, rollout: string): string {
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(file, `${smallPipelineHead('roll', 0.3)}store: { url: "sqlite:${path.join(dir, 'mlops.db')}" }
stages:
  serve:
    step: serve
    with:
      model: food101
      monitoring: { notify: [{ file: events.jsonl }, { log: true }] }
      rollout:
${rollout}`);
  return file;
}

test('a wrong rollout spec is reported at file:line:col', (t) => {
  const file = pipeline(tempDir(t), `        strategy: canary
        steps: [{ weight: 10 }, { pause: { request: 20 } }, { analysis: nope }]
`);
  const r = runCli(['validate', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /pipeline\.yaml:\d+:\d+ stages\.serve\.with\.rollout\.steps\.1\.pause\.request: unknown key 'request' \(did you mean 'requests'\?\)/);
  assert.match(r.stderr, /pipeline\.yaml:\d+:\d+ stages\.serve\.with\.rollout\.steps\.2\.analysis: analysis 'nope' is not defined/);
});

test('pipeline rollout start / status / pause / abort / history on a store', async (t) => {
  const dir = tempDir(t);
  const file = pipeline(dir, `        strategy: canary
        steps: [{ weight: 25 }, { pause: {} }, { promote: true }]
`);
  const stores = await world(t, `sqlite:${path.join(dir, 'mlops.db')}`, ['a', 'b'], [0.8, 0.9]);
  await stores.close();
  const cli = (...args: string[]) => runCli(['rollout', ...args, '--pipeline', file]);
  const started = cli('start');
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /food101: canary rollout \w+ of v2 against v1 started/);
  const again = cli('start');
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already has a rollout in progress/);
  const status = cli('status', '--json');
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout);
  assert.equal(s.phase, 'progressing');
  assert.deepEqual(s.steps.map((x: any) => x.label), ['weight 25', 'pause (until resumed)', 'promote']);
  assert.equal(cli('pause', '--reason', 'lunch').code, 0);
  assert.match(cli('status').stdout, /phase paused.*paused by .*: lunch/);
  assert.equal(cli('abort').code, 0);
  const resume = cli('resume');
  assert.notEqual(resume.code, 0);
  assert.match(resume.stderr, /no rollout in progress \(the last one ended aborted\)/);
  assert.match(cli('history').stdout, /canary\s+v2\s+v1\s+aborted/);
  // Each command told the pipeline file's notification sinks (the file here) what it did, and who.
  const told = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; kind: string; message: string });
  assert.deepEqual(told.map((e) => `${e.event} ${e.kind}`), ['rollout started', 'rollout paused', 'rollout aborted']);
  assert.match(told[1]!.message, /paused at step 1: lunch/);
});

test('register.with.rollout starts a rollout of the registered version with serve.with.rollout', async (t) => {
  const dir = tempDir(t);
  const file = pipeline(dir, `        strategy: shadow
`);
  const stores = await world(t, `sqlite:${path.join(dir, 'mlops.db')}`, ['a', 'b'], [0.8, 0.9]);
  const { startRolloutOfRegistered } = await import('../../steps/register/start-rollout.ts');
  const lines: string[] = [];
  const log = { success: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), info: (m: string) => lines.push(m) };
  const ctx = { pipelineFile: file, stores, log, stage: 'register' } as never;
  await startRolloutOfRegistered(ctx, 'food101', 2, { metric: 'test.accuracy', minDelta: 0, higherIsBetter: true });
  const s = (await stores.rollouts.active('food101'))!;
  assert.equal(s.strategy, 'shadow');
  assert.equal(s.candidateVersion, 2);
  assert.match(lines.join('\n'), /started a shadow rollout/);
  // A second registration while one runs: a warning, not a failed stage.
  await startRolloutOfRegistered(ctx, 'food101', 2, { metric: 'test.accuracy', minDelta: 0, higherIsBetter: true });
  assert.match(lines.at(-1)!, /no rollout started: .*already has a rollout in progress/);
});
