/**
 * The monitoring store on SQLite and PostgreSQL: profiles per version, one row per (window, detector), alert
 * hysteresis stepped once per new window (a window looked at twice does not count twice), concurrent monitors
 * that never double-fire, acknowledgement, and the MonitoringView shapes the dashboard reads.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { stepAlert } from '../../ml/monitoring/hysteresis.ts';
import { SqlMonitoringStore, type AlertStepper, type StoredDetectorResult } from '../../stores/monitoring-store.ts';
import { backends, openClient, type Backend } from '../helpers/store-backends.ts';

async function setup(t: TestContext, backend: Backend, now?: () => number) {
  return new SqlMonitoringStore(await openClient(t, await backend.url(t)), now ? { now } : {});
}

const results = (drift: boolean): StoredDetectorResult[] => [
  { detector: 'input_drift', method: 'share of 12 statistics drifted (ks)', score: drift ? 0.9 : 0.1, threshold: 0.5, verdict: drift ? 'drift' : 'ok', details: { brightness: { p: drift ? 1e-9 : 0.4 } } },
  { detector: 'feedback_accuracy', method: 'wilson', score: NaN, threshold: 0.66, verdict: 'insufficient' },
];

const stepper = (fireAfter: number, clearAfter: number): AlertStepper => (detector, state, r) => {
  const next = stepAlert(state, r.verdict === 'drift', { fireAfter, clearAfter });
  return next.event
    ? { state: next.state, alert: { event: next.event, message: `${detector} ${next.event}`, command: 'npx pipeline run pipelines/food101.yaml', payload: { score: r.score } } }
    : { state: next.state };
};

for (const backend of backends) {
  test(`${backend.name}: profiles are kept per model version`, async (t) => {
    const store = await setup(t, backend);
    assert.equal(await store.getProfile('food101', 1), null);
    await store.putProfile('food101', 1, { version: 1, size: 200, stats: { brightness: [0.5, 0.25] } });
    await store.putProfile('food101', 1, { version: 1, size: 260, stats: { brightness: [0.5] } });
    assert.deepEqual(await store.getProfile('food101', 1), { version: 1, size: 260, stats: { brightness: [0.5] } });
    assert.equal(await store.hasProfile('food101', 2), false);
  });

  test(`${backend.name}: windows, hysteresis (fire after 2, clear after 1), a repeated window does not step`, async (t) => {
    // A frozen clock: every window is evaluated in the same millisecond, so the alerts still read back in order.
    const store = await setup(t, backend, () => 1_700_000_000_000);
    const w = (end: number, drift: boolean) => store.recordWindow({ modelName: 'food101', modelVersion: 3, windowStart: end - 100, windowEnd: end, n: 200, results: results(drift) }, stepper(2, 1));
    assert.deepEqual(await w(1000, true), []);
    assert.deepEqual(await w(1000, true), [], 'the same window again: recorded, not counted');
    const fired = await w(2000, true);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.event, 'fire');
    assert.equal(fired[0]!.detector, 'input_drift');
    assert.equal(fired[0]!.payload.id, fired[0]!.id);
    assert.deepEqual(await store.alerting('food101'), new Set(['input_drift']));
    assert.deepEqual(await w(3000, true), [], 'still alerting: no second alert');
    const cleared = await w(4000, false);
    assert.deepEqual(cleared.map((a) => a.event), ['clear']);

    const latest = await store.latest('food101');
    assert.deepEqual(latest.map((r) => [r.detector, r.windowEnd, r.verdict]), [['input_drift', 4000, 'ok'], ['feedback_accuracy', 4000, 'insufficient']]);
    assert.ok(Number.isNaN(latest[1]!.score), 'a NaN score reads back as NaN');
    const history = await store.history('food101', 2000);
    assert.deepEqual(history.filter((r) => r.detector === 'input_drift').map((r) => r.windowEnd), [2000, 3000, 4000]);
    const alerts = await store.alerts('food101', 0);
    assert.deepEqual(alerts.map((a) => a.message), ['input_drift fire', 'input_drift clear']);
    await store.acknowledge(alerts[0]!.id, 'alice');
    const acked = (await store.alerts('food101', 0))[0]!;
    assert.equal(acked.acknowledgedBy, 'alice');
    assert.ok(acked.acknowledgedAt! > 0);
    await assert.rejects(store.acknowledge('no-such-alert', 'bob'), /no alert with id 'no-such-alert'/);
    assert.equal(await store.lastWindowEnd('food101'), 4000);
  });

  test(`${backend.name}: two monitors evaluating the same new window at once fire one alert`, async (t) => {
    const url = await backend.url(t);
    const a = new SqlMonitoringStore(await openClient(t, url));
    const b = new SqlMonitoringStore(await openClient(t, url));
    const rec = (s: SqlMonitoringStore) => s.recordWindow({ modelName: 'm', modelVersion: 1, windowStart: 0, windowEnd: 500, n: 200, results: results(true) }, stepper(1, 1));
    const [x, y] = await Promise.all([rec(a), rec(b)]);
    assert.equal(x.length + y.length, 1, `alerts: ${JSON.stringify([x, y])}`);
    assert.equal((await a.alerts('m', 0)).length, 1);
  });
}
