/**
 * Routing: the split converges to the weights, a user keeps their variant (also as the weight grows), a shadow
 * never changes what clients get, and a server restarted mid-rollout resumes it from the store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucket, choose } from '../../rollouts/traffic.ts';
import { sqliteBackend } from '../helpers/store-backends.ts';
import { getJson } from '../server/fixtures.ts';
import { control, predict, rolloutServer, start, world } from './support.ts';

test('the hash split is uniform: 10 000 keys land within 1.5 points of each weight', () => {
  for (const weight of [10, 30, 50]) {
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (choose({ id: 'r', weight, mirror: 0 }, `k${i}`).candidate) hits++;
    // Binomial sd at 10 000 draws is <= 0.5 points: 1.5 points is 3 sd.
    assert.ok(Math.abs(hits / 100 - weight) < 1.5, `weight ${weight}: ${hits / 100}%`);
  }
  assert.equal(bucket('user', 'r'), bucket('user', 'r'));
});

test('over HTTP the split follows the weight, users are sticky, and the weight only adds users', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'b'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores);
  await start(stores, { strategy: 'canary', steps: [{ weight: 30 }, { pause: {} }, { weight: 60 }, { pause: {} }] });
  await srv.sync();
  const users = Array.from({ length: 300 }, (_, i) => `user-${i}`);
  const first = new Map<string, string | null>();
  for (const u of users) {
    const a = await predict(srv.url, u);
    assert.equal(a.status, 200);
    assert.equal(a.top, a.variant === 'canary' ? 'b' : 'a', 'the variant named in X-Variant answered');
    first.set(u, a.variant);
  }
  const share = [...first.values()].filter((v) => v === 'canary').length / users.length;
  // 300 users at 30%: binomial sd 2.6 points; 8 points is 3 sd.
  assert.ok(Math.abs(share - 0.3) < 0.08, `canary share ${share}`);
  for (const u of users.slice(0, 40)) assert.equal((await predict(srv.url, u)).variant, first.get(u), `${u} keeps their variant`);
  const models = await getJson(`${srv.url}/models`);
  const roles = Object.fromEntries(models.models.map((m: any) => [m.alias, [m.role, m.traffic_share]]));
  assert.deepEqual(roles, { champion: ['primary', 70], v2: ['primary', 30] });
  assert.ok(models.models.every((m: any) => !m.file.includes('/')), 'no paths in /models');

  await control(stores).act('food101', 'resume', 'tester');
  await srv.sync();
  assert.equal((await stores.rollouts.active('food101'))!.weight, 60);
  for (const u of users) {
    const v = (await predict(srv.url, u)).variant;
    if (first.get(u) === 'canary') assert.equal(v, 'canary', `${u} was a canary user at 30% and stays one at 60%`);
  }
});

test('shadow: clients get the stable answers byte for byte while the candidate sees every request', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'c'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores);
  const before = await predict(srv.url, 'someone');
  await start(stores, { strategy: 'shadow', steps: [{ mirror: 100 }, { pause: {} }] });
  await srv.sync();
  const answers = [];
  for (let i = 0; i < 30; i++) answers.push(await predict(srv.url, `user-${i}`));
  await srv.serve.mirror.idle();
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.equal(a.variant, 'stable');
    assert.equal(a.version, 1);
    assert.equal(JSON.stringify(a.body.predictions), JSON.stringify(before.body.predictions), 'the same bytes as without a shadow');
  }
  await srv.log.flush();
  const rows = await stores.predictions.recent(100, { variant: 'shadow' });
  assert.equal(srv.serve.mirror.shedCount, 0);
  assert.equal(rows.length, 30, 'every request was mirrored');
  assert.ok(rows.every((r) => r.top1Class === 'c' && r.modelVersion === 2));
  assert.deepEqual(new Set(rows.map((r) => r.requestId)), new Set(answers.map((a) => a.requestId)));
  const status = (await control(stores).current('food101'))!;
  const shadow = status.report!.variants[1]!;
  assert.equal(shadow.paired, 30);
  assert.equal(shadow.agreement, 0);
  assert.equal(typeof shadow.latencyP99Ms, 'number');
  assert.equal(status.variants[1]!.role, 'shadow');
});

test('a server restarted in the middle of a rollout resumes it from the store', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'b'], [0.8, 0.9]);
  const first = await rolloutServer(t, stores, { holderId: 'first' });
  await start(stores, { strategy: 'canary', steps: [{ weight: 40 }, { pause: { requests: 15 } }, { weight: 70 }, { pause: {} }] });
  await first.sync();
  for (let i = 0; i < 5; i++) assert.equal((await predict(first.url, `u${i}`)).status, 200);
  await first.sync();
  const mid = (await stores.rollouts.active('food101'))!;
  assert.equal(mid.currentStep, 1, 'still pausing for 15 requests');
  await first.serve.close();
  await first.runtime.controller.release('food101');

  const second = await rolloutServer(t, stores, { holderId: 'second' });
  await second.sync();
  assert.equal(second.serve.router.state?.weight, 40, 'routing resumes at the stored weight');
  const seen = new Set<string | null>();
  for (let i = 0; i < 12; i++) seen.add((await predict(second.url, `u${i}`)).variant);
  assert.deepEqual([...seen].sort(), ['canary', 'stable']);
  await second.sync();
  const after = (await stores.rollouts.active('food101'))!;
  assert.equal(after.currentStep, 3, 'the pause counted requests from before and after the restart');
  assert.equal(after.weight, 70);
  assert.equal((await stores.rollouts.leaseHolder('rollout:food101'))!.holder, 'second');
});

test('shadow rows carry the monitoring fields of primary rows: every input statistic and the output summary', async (t) => {
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'c'], [0.8, 0.9]);
  // Monitoring on (no projection for these tiny models): primary rows get every statistic.
  const srv = await rolloutServer(t, stores, { app: { monitoring: {} } });
  await start(stores, { strategy: 'shadow', steps: [{ mirror: 100 }, { pause: {} }] });
  await srv.sync();
  const a = await predict(srv.url, 'someone');
  await srv.serve.mirror.idle();
  await srv.log.flush();
  const rows = await stores.predictions.byRequest(a.requestId);
  const primary = rows.find((r) => r.variant === 'stable')!.inputStats!;
  const shadow = rows.find((r) => r.variant === 'shadow')!.inputStats!;
  assert.ok(Object.keys(primary).length > 10, `primary row: ${JSON.stringify(primary)}`);
  assert.deepEqual(Object.keys(shadow).sort(), Object.keys(primary).sort(), 'the same fields');
  for (const k of ['brightness', 'contrast', 'saturation', 'sharpness', 'width', 'height']) assert.equal(shadow[k], primary[k], `${k}: the same photo`);
  // The output summary is the shadow model's own: it answers another class with its own confidence.
  assert.equal(typeof shadow.top1Prob, 'number');
  assert.equal(rows.find((r) => r.variant === 'shadow')!.top1Class, 'c');
});
