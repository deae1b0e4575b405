/**
 * Stand-ins for the rollout and monitoring ports (server/control-ports.ts) whose real implementations land from
 * other branches: a canary held in memory that pause/resume/abort/promote move like the real controller would
 * (an action that does not apply to the phase throws), and a monitoring view with a few detector windows and one
 * alert. The integrator switches the abort test to the real controller.
 */
import type { AlertView, DetectorResultView, MonitoringView, RolloutAction, RolloutControl, RolloutPhase, RolloutStatusView } from '../../server/control-ports.ts';

export interface MemoryRollouts extends RolloutControl {
  status: RolloutStatusView;
}

export function memoryRollouts(modelName: string, now = Date.now()): MemoryRollouts {
  const min = 60_000;
  let status: RolloutStatusView = {
    id: 'r-1',
    modelName,
    strategy: 'canary',
    phase: 'progressing',
    currentStep: 2,
    steps: [
      { index: 0, label: 'weight 10', startedAt: now - 9 * min, finishedAt: now - 7 * min },
      { index: 1, label: 'analysis canary-basic', startedAt: now - 7 * min, finishedAt: now - 5 * min },
      { index: 2, label: 'weight 25', startedAt: now - 5 * min, finishedAt: null },
      { index: 3, label: 'pause 200 requests', startedAt: null, finishedAt: null },
      { index: 4, label: 'weight 50', startedAt: null, finishedAt: null },
      { index: 5, label: 'promote', startedAt: null, finishedAt: null },
    ],
    variants: [
      { variant: 'stable', alias: 'champion', version: 1, weight: 75, role: 'primary' },
      { variant: 'canary', alias: 'challenger', version: 2, weight: 25, role: 'primary' },
    ],
    analysis: [{ ts: now - 5 * min, metric: 'error_rate', variant: 'canary', value: 0.004, threshold: '< 0.01', verdict: 'pass' }],
    events: [
      { ts: now - 9 * min, kind: 'started', message: 'canary of v2 against v1', actor: 'controller' },
      { ts: now - 5 * min, kind: 'step', message: 'weight 25', actor: 'controller' },
    ],
    startedAt: now - 9 * min,
    updatedAt: now - 5 * min,
  };
  const next: Record<RolloutAction, Partial<Record<RolloutPhase, RolloutPhase>>> = {
    pause: { progressing: 'paused' },
    resume: { paused: 'progressing' },
    abort: { progressing: 'aborted', paused: 'aborted' },
    promote: { progressing: 'promoted', paused: 'promoted' },
  };
  const control: MemoryRollouts = {
    get status() {
      return status;
    },
    set status(s) {
      status = s;
    },
    async current(name) {
      return name === modelName ? status : null;
    },
    async act(name, action, actor, reason) {
      if (name !== modelName) throw new Error(`no rollout of ${name}`);
      const phase = next[action][status.phase];
      if (!phase) throw new Error(`cannot ${action} a rollout that is ${status.phase}`);
      const ts = Date.now();
      status = { ...status, phase, updatedAt: ts, events: [...status.events, { ts, kind: phase, message: reason ?? action, actor }] };
      return status;
    },
  };
  return control;
}

export function memoryMonitoring(modelName: string, now = Date.now()): MonitoringView & { alertList: AlertView[] } {
  const windows: DetectorResultView[] = [];
  for (let i = 10; i >= 1; i--) {
    const windowEnd = now - i * 30_000;
    windows.push({ windowEnd, detector: 'input.brightness', score: 0.02 + i * 0.001 + (i < 3 ? 0.05 : 0), threshold: 0.05, verdict: i < 3 ? 'drift' : 'ok' });
    windows.push({ windowEnd, detector: 'prediction.class_distribution', score: 0.03, threshold: 0.1, verdict: 'ok' });
    windows.push({ windowEnd, detector: 'out_of_scope.share', score: 0.04, threshold: 0.1, verdict: 'ok' });
    windows.push({ windowEnd, detector: 'cbpe.accuracy', score: 0.81, threshold: 0.7, verdict: 'ok' });
  }
  const alertList: AlertView[] = [
    { id: 'a-1', ts: now - 60_000, modelName, detector: 'input.brightness', message: 'inputs much darker than the reference', command: `pipeline monitor report --model ${modelName}`, acknowledgedBy: null, acknowledgedAt: null },
  ];
  const last = windows.at(-1)!.windowEnd;
  return {
    alertList,
    async latest(name) {
      return name === modelName ? windows.filter((w) => w.windowEnd === last) : [];
    },
    async history(name, sinceTs) {
      return name === modelName ? windows.filter((w) => w.windowEnd >= sinceTs) : [];
    },
    async alerts(name, sinceTs) {
      return alertList.filter((a) => a.modelName === name && a.ts >= sinceTs);
    },
    async acknowledge(id, actor) {
      const i = alertList.findIndex((a) => a.id === id);
      if (i < 0) throw new Error(`no alert ${id}`);
      alertList[i] = { ...alertList[i]!, acknowledgedBy: actor, acknowledgedAt: Date.now() };
    },
    async referenceClassShares() {
      return { pizza: 0.3, steak: 0.25, sushi: 0.2, hamburger: 0.15 };
    },
  };
}
