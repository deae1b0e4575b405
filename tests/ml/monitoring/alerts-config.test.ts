import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelModel, describeCauses, type CauseEvidence } from '../../../ml/monitoring/causes.ts';
import { DEFAULT_MONITOR_CONFIG, resolveMonitorConfig } from '../../../ml/monitoring/config.ts';
import { INITIAL_ALERT_STATE, stepAlert, type AlertEvent } from '../../../ml/monitoring/hysteresis.ts';
import type { NumericImageStat } from '../../../ml/monitoring/image-stats.ts';

describe('alert hysteresis', () => {
  it('fires after K drifted windows in a row, ignores flapping, clears after M clean ones', () => {
    const cfg = { fireAfter: 2, clearAfter: 3 };
    let state = INITIAL_ALERT_STATE;
    const events: AlertEvent[] = [];
    for (const d of [true, false, true, false, true, true, true, false, true, false, false, false, true]) {
      const r = stepAlert(state, d, cfg);
      state = r.state;
      events.push(r.event);
    }
    assert.deepEqual(events, [null, null, null, null, null, 'fire', null, null, null, null, null, 'clear', null]);
    assert.deepEqual(state, { status: 'ok', streak: 1 });
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
  });
});

describe('monitoring config', () => {
  it('fills defaults, keeps overrides, and names the bad key', () => {
    const cfg = resolveMonitorConfig({ outOfScope: { maxShare: 0.3 }, hysteresis: { fireAfter: 1 } });
    assert.equal(cfg.outOfScope.maxShare, 0.3);
    assert.equal(cfg.outOfScope.alpha, DEFAULT_MONITOR_CONFIG.outOfScope.alpha);
    assert.deepEqual(cfg.hysteresis, { fireAfter: 1, clearAfter: 3 });
    assert.ok(!cfg.inputDrift.stats.includes('byteSize'));
    assert.throws(() => resolveMonitorConfig({ inputDrift: { driftShare: 1.5 } }), /inputDrift.driftShare = 1.5; expected a number between 0 and 1/);
    assert.throws(() => resolveMonitorConfig({ hysteresis: { clearAfter: 0 } }), /hysteresis.clearAfter = 0; expected an integer >= 1/);
    assert.throws(() => resolveMonitorConfig({ inputDrift: { stats: ['hue' as NumericImageStat] } }), /inputDrift.stats = "hue"/);
  });
});

describe('causes in words', () => {
  const ref: Record<NumericImageStat, number> = { meanR: 0.6, meanG: 0.5, meanB: 0.38, stdR: 0.25, stdG: 0.25, stdB: 0.25, brightness: 0.51, contrast: 0.25, saturation: 0.4, darkShare: 0.05, brightShare: 0.1, sharpness: 0.01, byteSize: 40000, width: 512, height: 512 };
  const base: Omit<CauseEvidence, 'window' | 'driftedStats'> = { reference: ref, inputDrift: true, embeddingDrift: true, outOfScope: { drifted: false, share: 0.03, expected: 0.05 }, predictionDrift: false };
  it('tells darker from inverted by the channel means', () => {
    const dark = { ...ref, meanR: 0.24, meanG: 0.2, meanB: 0.15, brightness: 0.2, contrast: 0.1, sharpness: 0.0016 };
    const inv = { ...ref, meanR: 0.4, meanG: 0.5, meanB: 0.62, brightness: 0.49 };
    assert.equal(channelModel([0.6, 0.5, 0.38], [0.24, 0.2, 0.15]).model, 'scaled');
    assert.equal(channelModel([0.6, 0.5, 0.38], [0.4, 0.5, 0.62]).model, 'inverted');
    const d = describeCauses({ ...base, window: dark, driftedStats: new Set(['meanR', 'meanG', 'meanB', 'brightness', 'contrast', 'sharpness'] as NumericImageStat[]) });
    assert.match(d[0]!, /^inputs much darker than the reference \(brightness x0\.39\)/);
    assert.ok(!d.some((s) => /blurred/.test(s)), 'darkening also lowers sharpness, but that is not blur');
    const i = describeCauses({ ...base, window: inv, driftedStats: new Set(['meanR', 'meanB'] as NumericImageStat[]) });
    assert.match(i[0]!, /^colours inverted \(negative\)/);
  });

  it('names out-of-scope photos and says nothing when nothing drifted', () => {
    const o = describeCauses({ ...base, inputDrift: false, window: ref, driftedStats: new Set(), outOfScope: { drifted: true, share: 0.62, expected: 0.05 } });
    assert.deepEqual(o, ['many photos outside the known classes (62% out of scope, 5% expected)']);
    assert.deepEqual(describeCauses({ ...base, inputDrift: false, embeddingDrift: false, window: ref, driftedStats: new Set() }), []);
  });
});
