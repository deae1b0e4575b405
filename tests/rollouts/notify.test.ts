/**
 * Rollout events reach the sinks the pipeline file configures for monitoring alerts (serve.with.monitoring.notify):
 * a webhook (a local HTTP server here) and a JSONL file get the start, the automatic rollback and a pause for a
 * person; a webhook that refuses does not stop the rollback.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { defaultMonitoring } from '../../monitor/settings.ts';
import { configuredNotifier } from '../../rollouts/notify-config.ts';
import type { MonitoringParams } from '../../steps/serve/monitoring-schema.ts';
import { receiver } from '../helpers/http-receiver.ts';
import { sqliteBackend } from '../helpers/store-backends.ts';
import { tempDir } from '../helpers/tmp.ts';
import { drive, rolloutServer, start, world } from './support.ts';

const BAD_FAST = {
  strategy: 'canary' as const,
  steps: [{ weight: 50 }, { pause: { requests: 10 } }, { analysis: 'quick' }, { promote: true as const }],
  analysis: { quick: { failure_limit: 0, inconclusive_limit: 20, interval: 0.001, metrics: [{ metric: 'feedback_accuracy' as const, min_delta_to_stable: -0.02, min_samples: 3 }] } },
};

function settings(notify: MonitoringParams['notify']): MonitoringParams {
  return { ...defaultMonitoring(), notify };
}

function memoryLog() {
  const lines: { level: string; m: string }[] = [];
  const at = (level: string) => (m: string) => void lines.push({ level, m });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

test('a rolled-back canary is announced to the configured webhook, JSONL file and log; a refusing webhook does not stop it', async (t) => {
  const hook = await receiver(t);
  const refusing = await receiver(t, () => 500);
  const dir = tempDir(t);
  const { lines, log } = memoryLog();
  const notify = configuredNotifier(
    settings([{ webhook: hook.url, timeout_ms: 2000, retries: 0 }, { webhook: refusing.url, timeout_ms: 2000, retries: 0 }, { file: 'alerts/rollouts.jsonl' }, { webhook: '', timeout_ms: 1, retries: 0 }]),
    dir,
    log,
  );
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'c'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores, { notify });
  const started = await start(stores, BAD_FAST, undefined, notify);
  await srv.sync();
  const { state } = await drive(srv, stores, () => 'a', { rounds: 10 });
  assert.equal(state.phase, 'rolled_back');
  await notify.settled();

  const bodies = hook.bodies as Record<string, string>[];
  assert.deepEqual(bodies.map((b) => b.kind), ['started', 'rolled_back']);
  const rolled = bodies[1]!;
  assert.equal(rolled.event, 'rollout');
  assert.equal(rolled.model, 'food101');
  assert.equal(rolled.rollout_id, started.id);
  assert.equal(rolled.command, 'pipeline rollout status food101');
  assert.match(rolled.message, /feedback_accuracy 0 not >= stable -0.02.*v2 marked 'rejected', v1 stays champion/);
  const fileLines = fs.readFileSync(path.join(dir, 'alerts', 'rollouts.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string });
  assert.deepEqual(fileLines.map((l) => l.kind), ['started', 'rolled_back']);
  assert.equal(refusing.attempts(), 2, 'the refusing webhook was tried once per event');
  const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.m);
  assert.ok(warnings.some((m) => /^rollout food101 \(\w{8}\): rolled_back: /.test(m)), 'the rollback is logged as a warning');
  assert.ok(warnings.some((m) => /rollout notification: sink webhook http:\/\/127\.0\.0\.1:\d+: .*: rollout \w{8} event rolled_back not delivered after 1 attempt\(s\): HTTP 500/.test(m)), warnings.join('\n'));
  assert.deepEqual(await stores.registry.aliases('food101'), { champion: 1, rejected: 2 });
});

test('a rollout paused for a person (an indefinite pause step) is announced', async (t) => {
  const hook = await receiver(t);
  const { log } = memoryLog();
  const notify = configuredNotifier(settings([{ webhook: hook.url, timeout_ms: 2000, retries: 0 }]), tempDir(t), log);
  const stores = await world(t, await sqliteBackend.url(t), ['a', 'a'], [0.8, 0.9]);
  const srv = await rolloutServer(t, stores, { notify });
  await start(stores, { strategy: 'canary', steps: [{ weight: 10 }, { pause: {} }, { promote: true }] });
  await srv.sync();
  assert.equal((await stores.rollouts.active('food101'))!.phase, 'paused');
  await notify.settled();
  const bodies = hook.bodies as Record<string, string>[];
  assert.deepEqual(bodies.map((b) => b.kind), ['paused']);
  assert.match(bodies[0]!.message, /paused until a person resumes \(`pipeline rollout resume food101`\)/);
});
