/**
 * `RolloutControl` (server/control-ports.ts) on the store: the status view the CLI, the dashboard and `/rollout`
 * show, and a person's actions (pause, resume, abort, promote), each an atomic change with an event naming who.
 */
import type { RolloutAction, RolloutControl, RolloutStatusView, RolloutVariantView } from '../server/control-ports.ts';
import type { RolloutController } from './controller.ts';
import type { Notifier } from './notify.ts';
import { stepLabel } from './spec.ts';
import type { RolloutStore } from './store.ts';
import { ACTIVE_PHASES, type RolloutEvent, type RolloutReport, type RolloutState } from './types.ts';

export interface RolloutStatus extends RolloutStatusView {
  readonly stableVersion: number;
  readonly candidateVersion: number;
  readonly revision: number;
  readonly pausedReason: string | null;
  /** Per-variant metrics over the rollout (live while it runs), the A/B decision. */
  readonly report: RolloutReport | null;
}

export function variantViews(s: RolloutState): RolloutVariantView[] {
  const [stable, cand] = s.variants;
  if (s.phase === 'promoted') {
    return [
      { variant: stable, alias: 'prev_champion', version: s.stableVersion, weight: 0, role: 'primary' },
      { variant: cand, alias: 'champion', version: s.candidateVersion, weight: 100, role: 'primary' },
    ];
  }
  const candidatePrimary = s.weight > 0;
  return [
    { variant: stable, alias: 'champion', version: s.stableVersion, weight: 100 - s.weight, role: 'primary' },
    { variant: cand, alias: s.phase === 'rolled_back' ? 'rejected' : 'challenger', version: s.candidateVersion, weight: candidatePrimary ? s.weight : s.mirror, role: candidatePrimary ? 'primary' : 'shadow' },
  ];
}

export class RolloutService implements RolloutControl {
  readonly #store: RolloutStore;
  readonly #controller: RolloutController;
  readonly #notify: Notifier | undefined;

  constructor(store: RolloutStore, controller: RolloutController, notify?: Notifier) {
    this.#store = store;
    this.#controller = controller;
    this.#notify = notify;
  }

  async current(modelName: string): Promise<RolloutStatus | null> {
    const s = await this.#store.latest(modelName);
    return s ? this.view(s) : null;
  }

  async view(s: RolloutState, opts: { live?: boolean } = {}): Promise<RolloutStatus> {
    const [events, analysis] = await Promise.all([this.#store.events(s.id), this.#store.analysis(s.id, 50)]);
    const live = ACTIVE_PHASES.has(s.phase) && opts.live !== false;
    return {
      id: s.id,
      modelName: s.modelName,
      strategy: s.strategy,
      phase: s.phase,
      currentStep: s.currentStep,
      steps: s.spec.steps.map((step, index) => ({ index, label: stepLabel(step), startedAt: s.steps[index]?.startedAt ?? null, finishedAt: s.steps[index]?.finishedAt ?? null })),
      variants: variantViews(s),
      analysis: analysis.map(({ step: _step, ...a }) => a),
      events: events.map((e) => ({ ts: e.ts, kind: e.kind, message: e.message, actor: e.actor })),
      startedAt: s.startedAt,
      updatedAt: s.updatedAt,
      stableVersion: s.stableVersion,
      candidateVersion: s.candidateVersion,
      revision: s.revision,
      pausedReason: s.pausedReason,
      report: live ? await this.#controller.report(s) : s.report,
    };
  }

  async act(modelName: string, action: RolloutAction, actor: string, reason?: string): Promise<RolloutStatus> {
    const s = await this.#store.active(modelName);
    if (!s) {
      const last = await this.#store.latest(modelName);
      throw new Error(`model '${modelName}' has no rollout in progress${last ? ` (the last one ended ${last.phase})` : ''}: start one with \`pipeline rollout start ${modelName}\``);
    }
    const why = reason ? `: ${reason}` : '';
    const next = structuredClone(s);
    const now = Date.now();
    let event: RolloutEvent;
    switch (action) {
      case 'pause':
        if (s.phase === 'paused') throw new Error(`the rollout of '${modelName}' is already paused (${s.pausedReason ?? 'by a person'})`);
        next.phase = 'paused';
        next.pausedReason = `paused by ${actor}${why}`;
        event = { kind: 'paused', actor, message: `paused at step ${s.currentStep + 1}${why}` };
        break;
      case 'resume': {
        if (s.phase !== 'paused') throw new Error(`the rollout of '${modelName}' is ${s.phase}, not paused: nothing to resume`);
        next.phase = 'progressing';
        next.pausedReason = null;
        next.inconclusive = 0;
        const step = s.spec.steps[s.currentStep];
        if (step && 'pause' in step && Object.keys(step.pause).length === 0) {
          next.steps[s.currentStep]!.finishedAt = now;
          next.currentStep++;
          next.stepStartedAt = now;
          if (next.steps[next.currentStep]) next.steps[next.currentStep]!.startedAt = now;
        }
        event = { kind: 'resumed', actor, message: `resumed at step ${next.currentStep + 1}${why}` };
        break;
      }
      case 'abort':
        next.phase = 'aborted';
        next.weight = 0;
        next.mirror = 0;
        event = { kind: 'aborted', actor, message: `aborted at step ${s.currentStep + 1}: all traffic back to v${s.stableVersion}; v${s.candidateVersion} stays challenger${why}` };
        break;
      case 'promote': {
        next.phase = 'promoted';
        next.weight = 0;
        next.mirror = 0;
        const result = await this.#controller.apply(s, { state: next, events: [{ kind: 'step', actor, message: `promotion of v${s.candidateVersion} requested by ${actor} at step ${s.currentStep + 1}${why}` }], analysis: [], effect: 'promote', force: true });
        return this.view(result);
      }
      default:
        throw new Error(`unknown rollout action '${String(action)}': use pause, resume, abort or promote`);
    }
    const result = await this.#store.update(s.id, (cur) => (cur.revision !== s.revision ? null : { state: next, events: [event] }));
    if (result.revision === s.revision) throw new Error(`the rollout of '${modelName}' changed while acting on it; look at \`pipeline rollout status\` and try again`);
    await this.#notify?.({ modelName, rolloutId: s.id, kind: event.kind, message: event.message, ts: now });
    return this.view(result);
  }
}
