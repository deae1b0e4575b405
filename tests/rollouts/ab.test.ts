/**
 * A/B: 50/50 with feedback; the two-proportion test decides at the horizon (min_samples labelled per arm) and
 * the report gives the split, each arm's accuracy with its interval, and the effect with its interval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sqliteBackend } from '../helpers/store-backends.ts';
import { control, drive, rolloutServer, start, world } from './support.ts';

test('A/B at 50/50: b (right 70% of the time) beats a (right 30%): promoted, with intervals', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'b'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores);
  await start(stores, { strategy: 'ab', ab: { min_samples: 40, alpha: 0.05 } });
  await srv.sync();
  // The true class: 'b' 70% of the time (deterministic), so a (always 'a') is right 30%, b (always 'b') 70%.
  const { answers, state } = await drive(srv, stores, (i) => (i % 10 < 7 ? 'b' : 'a'), { rounds: 30 });
  assert.equal(state.phase, 'promoted', JSON.stringify(await stores.rollouts.events(state.id), null, 1));
  assert.ok(answers.every((a) => a.status === 200));
  const ab = state.report!.ab!;
  assert.equal(ab.decision, 'b_better');
  assert.ok(ab.a.n >= 40 && ab.b.n >= 40);
  assert.ok(ab.a.ci95[0] <= ab.a.accuracy && ab.a.accuracy <= ab.a.ci95[1]);
  assert.ok(ab.effectCi[0] > 0, 'the interval of the effect excludes 0');
  assert.ok(state.report!.candidateShare! > 0.3 && state.report!.candidateShare! < 0.7, `split ${state.report!.candidateShare}`);
  const status = (await control(stores).current('food101'))!;
  assert.match(status.events.find((e) => e.message.startsWith('A/B'))!.message, /two-proportion z-test on feedback_accuracy: a 0\.\d+ \[.*\] \(n=\d+\), b 0\.\d+/);
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 2, prev_champion: 1 });
});
