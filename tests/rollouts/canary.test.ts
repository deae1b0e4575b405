/**
 * Canary rollouts end to end on a real store and registry: a good challenger is promoted through the gate, a bad
 * one (it answers the wrong class, so feedback accuracy collapses) is rolled back automatically, and no request
 * fails in either; the events say why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sqliteBackend } from '../helpers/store-backends.ts';
import { drive, feedback, predict, rolloutServer, start, world } from './support.ts';

const QUICK = {
  strategy: 'canary' as const,
  steps: [{ mirror: 100 }, { weight: 20 }, { pause: { requests: 20 } }, { analysis: 'quick' }, { weight: 50 }, { pause: { requests: 20 } }, { analysis: 'quick' }, { promote: true as const }],
  analysis: {
    quick: {
      failure_limit: 1,
      inconclusive_limit: 20,
      interval: 0.001,
      metrics: [
        { metric: 'error_rate' as const, max: 0.01, min_samples: 5 },
        { metric: 'agreement_with_stable' as const, min: 0.9, min_samples: 5 },
        { metric: 'feedback_accuracy' as const, min_delta_to_stable: -0.02, min_samples: 5 },
      ],
    },
  },
};

test('a good canary is promoted through the registry gate: champion -> prev_champion, every request answered', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'a'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores);
  await start(stores, QUICK);
  await srv.sync();
  const { answers, state } = await drive(srv, stores, () => 'a');
  assert.equal(state.phase, 'promoted', JSON.stringify(await stores.rollouts.events(state.id), null, 1));
  assert.ok(answers.every((a) => a.status === 200), 'no request failed');
  assert.ok(answers.some((a) => a.variant === 'canary' && a.version === 2), 'the canary answered some requests');
  assert.ok(answers.some((a) => a.variant === 'stable' && a.version === 1));
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 2, prev_champion: 1 });
  const kinds = (await stores.rollouts.events(state.id)).map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => k !== 'analysis'), ['started', 'step', 'step', 'step', 'step', 'step', 'step', 'step', 'step', 'promoted']);
  assert.ok((await stores.rollouts.analysis(state.id)).every((a) => a.verdict !== 'fail'));
  // The rollout is over: the server serves the new champion alone.
  await srv.sync();
  const after = await predict(srv.url);
  assert.equal(after.status, 200);
  assert.equal(after.version, 2);
  assert.equal(after.variant, null);
});

test('a bad canary is rolled back automatically: weight 0, candidate rejected, champion untouched, zero failed requests', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'c'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores);
  await start(stores, QUICK);
  await srv.sync();
  const { answers, state } = await drive(srv, stores, () => 'a');
  assert.equal(state.phase, 'rolled_back');
  assert.equal(state.weight, 0);
  assert.ok(answers.every((a) => a.status === 200), 'no request failed');
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 1, rejected: 2 });
  const events = await stores.rollouts.events(state.id);
  const rolled = events.find((e) => e.kind === 'rolled_back')!;
  assert.match(rolled.message, /feedback_accuracy 0 not >= stable -0.02/);
  assert.match(rolled.message, /agreement_with_stable 0 not >= 0.9/);
  await srv.sync();
  for (let i = 0; i < 10; i++) {
    const a = await predict(srv.url, `user-0-${i}`);
    assert.equal(a.version, 1, 'every user is back on the champion');
    assert.equal(a.variant, null);
  }
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /rollout_variant_requests_total\{variant="canary",version="2",role="primary"\} [1-9]/);
  assert.match(metrics, /rollout_variant_requests_total\{variant="canary",version="2",role="shadow"\} [1-9]/);
  assert.match(metrics, /rollout_step -1/);
});

test('feedback: unknown request ids and labels get a 4xx saying what is wrong; ids and names both work', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a'], [0.8]);
  const srv = await rolloutServer(t, stores);
  const a = await predict(srv.url);
  assert.equal((await feedback(srv.url, a.requestId, 'b')).status, 200);
  const byId = await feedback(srv.url, a.requestId, 2);
  assert.equal(byId.status, 200);
  assert.equal(byId.body.label, 'c');
  assert.equal((await stores.predictions.byRequest(a.requestId))[0]!.label, 'c', 'a correction replaces the label');
  const unknown = await feedback(srv.url, 'no-such-request', 'a');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'UNKNOWN_REQUEST');
  const badLabel = await feedback(srv.url, a.requestId, 'pizza');
  assert.equal(badLabel.status, 422);
  assert.match(badLabel.body.error.message, /"pizza" is not a class of food101 v1 \(3 classes: a, b, c/);
  assert.equal((await feedback(srv.url, a.requestId, 7)).status, 422);
  const bad = await fetch(`${srv.url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"label": "a"}' });
  assert.equal(bad.status, 400);
});
