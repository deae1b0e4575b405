/**
 * Rollouts of models the pipeline trained (pizza/steak/sushi, a third of the mini photos, a linear head), with
 * `register.with.rollout: true`: the first `pipeline run` registers the champion; a second one, with a changed
 * hyperparameter, registers a challenger and starts its canary in the store (`pipeline rollout status --json`),
 * which a running server picks up and carries out on real photos with their true labels as feedback until the
 * challenger is promoted; a third one, one epoch at a learning rate of 1e-6, registers a bad challenger whose
 * canary is rolled back automatically. Not one request fails, and the champion answers throughout.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openStores, type Stores } from '../../stores/index.ts';
import { postFiles } from '../server/fixtures.ts';
import { runCli } from '../helpers/cli.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { smallPipelineHead } from '../helpers/small-pipeline.ts';
import { tempDir } from '../helpers/tmp.ts';
import { feedback, rolloutServer, type RolloutServer } from './support.ts';

// Short steps so the test is bounded; feedback accuracy is the metric that tells a bad head from a good one. Only
// it: on a crowded machine a mirrored request can pass its 5 s deadline, and an error-rate metric on 10 requests
// would then judge the machine, not the model (tests/rollouts/canary.test.ts covers the other metrics).
const PIPELINE = `${smallPipelineHead('real', 0.3)}stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features }
  grid: { step: grid, with: { architectures: [linear], params: { lr: 0.01, epochs: 4, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { winner_by: test.accuracy } }
  export: { step: export, with: { parity_images: 2 } }
  # A comparable challenger passes (about 20 test photos: one photo is 5 points); the live analysis judges it.
  register: { step: register, with: { model: food101, rollout: true, gate: { metric: test.accuracy, min_delta: -0.15 } } }
  serve:
    step: serve
    with:
      model: food101
      rollout:
        strategy: canary
        steps: [{ mirror: 100 }, { weight: 30 }, { pause: { requests: 30 } }, { analysis: live }, { promote: true }]
        analysis:
          live:
            failure_limit: 0
            inconclusive_limit: 30
            interval: 0.001
            metrics:
              - { metric: feedback_accuracy, min_delta_to_stable: -0.15, min_samples: 20 }
`;

interface Photo { readonly cls: string; readonly bytes: Buffer }

function testPhotos(dir: string): Photo[] {
  const processed = path.join(dir, 'data', 'processed');
  const split = fs.readdirSync(processed).find((d) => fs.existsSync(path.join(processed, d, 'test.csv')))!;
  const [, ...rows] = fs.readFileSync(path.join(processed, split, 'test.csv'), 'utf8').trim().split('\n');
  return rows.map((r) => r.split(',')).map(([file, cls]) => ({ cls: cls!, bytes: fs.readFileSync(path.join(miniDataDir, file!)) }));
}

function run(dir: string, ...sets: string[]): void {
  const r = runCli(['run', 'pipeline.yaml', '--until', 'register', ...sets.flatMap((s) => ['--set', s])], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
}

function statusJson(dir: string): { phase: string; candidateVersion: number; stableVersion: number; strategy: string } {
  const r = runCli(['rollout', 'status', 'food101', '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

interface Answer { status: number; version: number; variant: string | null; requestId: string }

async function ask(srv: RolloutServer, p: Photo, user: string): Promise<Answer> {
  const res = await postFiles(`${srv.url}/predict`, [{ field: 'file', data: p.bytes, filename: 'x.jpg', type: 'image/jpeg' }], { 'X-User-Id': user });
  return { status: res.status, version: Number(res.headers.get('x-model-version')), variant: res.headers.get('x-variant'), requestId: res.body?.request_id };
}

/** Real photos with their true class as feedback, a controller tick after every 10, until the rollout ends. */
async function drive(srv: RolloutServer, stores: Stores, photos: readonly Photo[], tag: string) {
  const answers: Answer[] = [];
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 10; i++) {
      const p = photos[(round * 10 + i) % photos.length]!;
      const a = await ask(srv, p, `${tag}-${round}-${i}`);
      answers.push(a);
      if (a.status === 200) assert.equal((await feedback(srv.url, a.requestId, p.cls)).status, 200);
    }
    await srv.sync();
    const s = await stores.rollouts.latest('food101');
    if (s && s.phase !== 'progressing') return { answers, state: s };
  }
  return { answers, state: (await stores.rollouts.latest('food101'))! };
}

test('pipeline-trained challengers: register.with.rollout starts the canary, a good one is promoted, a bad one rolled back, no request fails', async (t) => {
  const dir = tempDir(t, 'f101-real-rollout-');
  fs.writeFileSync(path.join(dir, 'pipeline.yaml'), PIPELINE);
  run(dir);
  const stores = await openStores({ url: `sqlite:${path.join(dir, 'experiments', 'mlops.db')}`, registryDir: path.join(dir, 'experiments', 'registry') });
  t.after(() => stores.close());
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 1 });
  assert.equal(await stores.rollouts.latest('food101'), undefined, 'a first version is champion at once: nothing to roll out');
  const srv = await rolloutServer(t, stores);
  const photos = testPhotos(dir);
  const before = await ask(srv, photos[0]!, 'u');
  assert.deepEqual([before.status, before.version, before.variant], [200, 1, null]);

  // A second run registers a challenger and starts its rollout in the store; the server picks it up.
  run(dir, 'stages.grid.with.params.epochs=8');
  const started = statusJson(dir);
  assert.deepEqual([started.phase, started.strategy, started.candidateVersion, started.stableVersion], ['progressing', 'canary', 2, 1]);
  await srv.sync();
  // Its first steps (mirror 100, weight 30) complete at once: v2 is loaded and answers 30% of users.
  const models = (await (await fetch(`${srv.url}/models`)).json()) as { models: { model_version: number; loaded: boolean; variant: string; traffic_share: number }[] };
  assert.ok(models.models.some((m) => m.model_version === 2 && m.loaded && m.variant === 'canary' && m.traffic_share === 30), JSON.stringify(models));
  const good = await drive(srv, stores, photos, 'good');
  const goodEvents = await stores.rollouts.events(good.state.id);
  assert.equal(good.state.phase, 'promoted', goodEvents.map((e) => `${e.kind}: ${e.message}`).join('\n'));
  assert.ok(good.answers.some((a) => a.variant === 'canary' && a.version === 2), 'the canary answered users');
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 2, prev_champion: 1 });
  // Measurements before enough feedback are inconclusive; the one that let it through passed.
  assert.match(goodEvents.filter((e) => e.kind === 'analysis').at(-1)!.message, /analysis 'live' pass: feedback_accuracy/);

  // A bad challenger: one epoch at lr 1e-6 answers about one photo in three right.
  run(dir, 'stages.grid.with.params.epochs=1', 'stages.grid.with.params.lr=1.0e-6');
  assert.equal(statusJson(dir).candidateVersion, 3);
  await srv.sync();
  const bad = await drive(srv, stores, photos, 'bad');
  const badEvents = await stores.rollouts.events(bad.state.id);
  assert.equal(bad.state.phase, 'rolled_back', badEvents.map((e) => `${e.kind}: ${e.message}`).join('\n'));
  assert.match(badEvents.find((e) => e.kind === 'rolled_back')!.message, /feedback_accuracy [\d.]+ not >= stable -0.15 .*v3 marked 'rejected', v2 stays champion/);
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 2, prev_champion: 1, rejected: 3 });

  const all = [...good.answers, ...bad.answers];
  assert.deepEqual(all.filter((a) => a.status !== 200), [], 'no request failed during either rollout');
  await srv.sync();
  const after = await ask(srv, photos[1]!, 'bad-0-0');
  assert.deepEqual([after.status, after.version, after.variant], [200, 2, null], 'the champion answers everyone again');
});
