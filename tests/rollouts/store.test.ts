/**
 * The rollout store on SQLite and PostgreSQL: one active rollout per model, atomic updates with revisions, events
 * and analysis rows, and the controller lease (one holder at a time, taken over after expiry); per-variant SQL
 * aggregates of the prediction log (error rate, p99, agreement by self-join, feedback accuracy).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeSpec, variantNames } from '../../rollouts/spec.ts';
import { RolloutConflictError } from '../../rollouts/store.ts';
import type { RolloutState } from '../../rollouts/types.ts';
import { twoProportionTest } from '../../rollouts/ab-test.ts';
import { backends, openTestStores } from '../helpers/store-backends.ts';

function state(id: string, now = 1000): RolloutState {
  const spec = normalizeSpec({ strategy: 'canary' });
  return {
    id, modelName: 'm', strategy: 'canary', spec, gate: { metric: 'test.accuracy', minDelta: 0, higherIsBetter: true }, stableVersion: 1, candidateVersion: 2,
    variants: variantNames('canary'), phase: 'progressing', currentStep: 0, weight: 0, mirror: 0, windowStartedAt: now, stepStartedAt: now,
    steps: spec.steps.map(() => ({ startedAt: null, finishedAt: null })), failures: 0, inconclusive: 0, lastAnalysisAt: null, pausedReason: null,
    report: null, startedAt: now, updatedAt: now, revision: 1,
  };
}

for (const backend of backends) {
  describe(`rollout store (${backend.name})`, () => {
    test('one active rollout per model; updates bump the revision and keep events and analysis', async (t) => {
      const stores = await openTestStores(t, await backend.url(t));
      const r = stores.rollouts;
      await r.create(state('r1'), { kind: 'started', message: 'go', actor: 'test' });
      await assert.rejects(r.create(state('r2'), { kind: 'started', message: 'again', actor: 'test' }), RolloutConflictError);
      const next = await r.update('r1', (s) => ({ state: { ...s, weight: 10 }, events: [{ kind: 'step', message: 'weight 10', actor: 'controller' }], analysis: [{ ts: 5, step: 1, metric: 'error_rate', variant: 'canary', value: 0, threshold: '<= 0.01', verdict: 'pass' }] }));
      assert.equal(next.revision, 2);
      assert.equal((await r.active('m'))!.weight, 10);
      const unchanged = await r.update('r1', () => null);
      assert.equal(unchanged.revision, 2);
      await r.update('r1', (s) => ({ state: { ...s, phase: 'rolled_back' } }));
      assert.equal(await r.active('m'), undefined, 'a finished rollout is not active');
      assert.equal((await r.latest('m'))!.phase, 'rolled_back');
      await r.create(state('r3', 2000), { kind: 'started', message: 'second', actor: 'test' });
      assert.deepEqual((await r.list('m')).map((s) => s.id), ['r3', 'r1']);
      assert.deepEqual((await r.events('r1')).map((e) => e.kind), ['started', 'step']);
      assert.equal((await r.analysis('r1'))[0]!.verdict, 'pass');
    });

    test('the lease has one holder at a time and passes on after it expires', async (t) => {
      let now = 10_000;
      const stores = await openTestStores(t, await backend.url(t), { now: () => now });
      const r = stores.rollouts;
      assert.equal(await r.tryLease('rollout:m', 'a', 1000), true);
      assert.equal(await r.tryLease('rollout:m', 'b', 1000), false);
      assert.equal(await r.tryLease('rollout:m', 'a', 1000), true, 'the holder renews');
      now += 1500;
      assert.equal(await r.tryLease('rollout:m', 'b', 1000), true, 'expired: taken over');
      assert.equal(await r.tryLease('rollout:m', 'a', 1000), false);
      assert.equal((await r.leaseHolder('rollout:m'))!.holder, 'b');
      // Many contenders at once: exactly one wins.
      now += 5000;
      const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => r.tryLease('rollout:x', `h${i}`, 1000)));
      assert.equal(wins.filter(Boolean).length, 1);
    });

    test('per-variant aggregates: error rate, p99, confidence, agreement with stable, feedback accuracy', async (t) => {
      const stores = await openTestStores(t, await backend.url(t));
      const row = (requestId: string, variant: string, cls: string, latencyMs: number, error = false) => ({
        requestId, ts: 100, modelName: 'm', modelVersion: variant === 'stable' ? 1 : 2, alias: null, variant,
        topK: error ? [] : [{ id: 0, class: cls, prob: 0.5 }], latencyMs, imageSha256: null, inputStats: null, errorCode: error ? 'X' : null,
      });
      const rows = [];
      for (let i = 0; i < 10; i++) rows.push(row(`q${i}`, 'stable', 'a', 10 + i));
      // q0..q5 mirrored to the canary: agrees on 4 of 6 (q4, q5 say 'b'); q6 fails.
      for (let i = 0; i < 6; i++) rows.push(row(`q${i}`, 'canary', i < 4 ? 'a' : 'b', 20 + i));
      rows.push(row('q6', 'canary', '', 99, true));
      await stores.predictions.append(rows);
      for (const id of ['q0', 'q4', 'q5']) await stores.predictions.recordFeedback({ requestId: id, label: 'b', labelId: 1, ts: 200, source: 'test' });
      const w = { modelName: 'm', sinceTs: 0 };
      const canary = await stores.variantMetrics.summary(w, 'canary', 'stable');
      const stable = await stores.variantMetrics.summary(w, 'stable', null);
      assert.equal(canary.requests, 7);
      assert.equal(canary.errors, 1);
      assert.equal(canary.latencyP99Ms, 25);
      assert.equal(canary.paired, 6);
      assert.equal(canary.agreement, 4 / 6);
      assert.equal(canary.labelled, 3);
      assert.equal(canary.feedbackAccuracy, 2 / 3);
      assert.equal(stable.feedbackAccuracy, 0);
      assert.equal(stable.meanConfidence, 0.5);
      assert.equal(await stores.variantMetrics.requests(w, ['stable', 'canary']), 10);
      assert.equal(await stores.variantMetrics.requests({ modelName: 'm', sinceTs: 101 }, ['stable', 'canary']), 0);
    });
  });
}

test('two-proportion test: a clear difference is significant, its interval excludes 0; equal arms are not', () => {
  const d = twoProportionTest({ n: 400, correct: 240 }, { n: 400, correct: 300 }, 0.05);
  assert.equal(d.decision, 'b_better');
  assert.ok(d.effectCi[0] > 0 && d.effectCi[1] > d.effect);
  assert.ok(d.pValue < 0.001);
  assert.ok(d.a.ci95[0] < 0.6 && d.a.ci95[1] > 0.6);
  const same = twoProportionTest({ n: 200, correct: 150 }, { n: 200, correct: 152 }, 0.05);
  assert.equal(same.decision, 'no_difference');
  assert.ok(same.effectCi[0] < 0 && same.effectCi[1] > 0);
});
