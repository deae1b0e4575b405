/**
 * The controller: advances a model's rollout from the observed per-variant metrics. Exactly one acts at a time
 * across processes: each tick first takes (or renews) the lease `rollout:<model>` in the store; a replica that
 * does not hold it only reads. A decision is computed outside any transaction (it reads the prediction log and may
 * call the registry), then written with `update` only if no one changed the rollout meanwhile (its revision), so
 * a person's pause or abort is never overwritten by a stale decision.
 */
import { randomUUID } from 'node:crypto';
import { GateRefusedError } from '../stores/errors.ts';
import { CHALLENGER, type RegistryStore } from '../stores/registry-types.ts';
import { twoProportionTest } from './ab-test.ts';
import { measure } from './analysis.ts';
import { NOTIFIED_KINDS, type Notifier } from './notify.ts';
import { stepLabel } from './spec.ts';
import type { RolloutStore } from './store.ts';
import type { AnalysisRow, RolloutEvent, RolloutReport, RolloutState } from './types.ts';
import type { VariantMetrics } from './variant-metrics.ts';

export interface ControllerDeps {
  readonly store: RolloutStore;
  readonly metrics: VariantMetrics;
  readonly registry: RegistryStore;
  readonly notify?: Notifier;
  readonly now?: () => number;
  /** Who holds the lease (default: host:pid:random). */
  readonly holderId?: string;
  /** Lease lifetime; a crashed holder's lease is taken over after this. Default 15 s. */
  readonly leaseMs?: number;
}

export interface TickResult {
  /** False when another process holds the lease. */
  readonly leader: boolean;
  readonly acted: boolean;
  readonly state?: RolloutState;
}

interface Plan {
  readonly state: RolloutState;
  readonly events: RolloutEvent[];
  readonly analysis: AnalysisRow[];
  /** Registry change the decision needs: done before the state is written. */
  effect?: 'promote' | 'reject';
  /** A person's promote: past the registry gate even when it refuses. */
  force?: boolean;
}

const REJECTED = 'rejected';

export class RolloutController {
  readonly #d: ControllerDeps;
  readonly #now: () => number;
  readonly holderId: string;

  constructor(deps: ControllerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.holderId = deps.holderId ?? `${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  async tick(modelName: string): Promise<TickResult> {
    const { store } = this.#d;
    if (!(await store.tryLease(`rollout:${modelName}`, this.holderId, this.#d.leaseMs ?? 15_000))) return { leader: false, acted: false };
    const s = await store.active(modelName);
    if (!s || s.phase !== 'progressing') return { leader: true, acted: false, state: s };
    const plan = await this.#plan(s);
    if (!plan) return { leader: true, acted: false, state: s };
    return { leader: true, acted: true, state: await this.apply(s, plan) };
  }

  async release(modelName: string): Promise<void> {
    await this.#d.store.releaseLease(`rollout:${modelName}`, this.holderId);
  }

  /** Runs the registry effect, then writes the plan unless the rollout changed since `seen`. */
  async apply(seen: RolloutState, plan: Plan): Promise<RolloutState> {
    const { store, registry } = this.#d;
    const fresh = await store.get(seen.id);
    if (!fresh || fresh.revision !== seen.revision) return fresh ?? seen;
    if (plan.effect === 'promote') {
      try {
        const r = await registry.promote(seen.modelName, { ...seen.gate, force: seen.spec.gate.force || plan.force === true });
        plan.events.push({ kind: 'promoted', actor: plan.force ? (plan.events.at(-1)?.actor ?? 'controller') : 'controller', message: `v${r.champion} is champion${r.prevChampion ? `, v${r.prevChampion} is prev_champion` : ''}${r.forced ? ' (gate forced)' : ''}`, data: r });
      } catch (err) {
        if (!(err instanceof GateRefusedError)) throw err;
        // Live analysis passed but the registry's offline gate refuses: a person decides (`rollout promote` forces).
        const state = { ...plan.state, phase: 'paused' as const, pausedReason: `promotion refused by the registry gate: ${err.message}` };
        return this.#write(seen, { state, events: [...plan.events.filter((e) => e.kind !== 'promoted'), { kind: 'promotion_refused', actor: 'controller', message: `${err.message}; run \`pipeline rollout promote ${seen.modelName}\` to force it, or abort` }], analysis: plan.analysis });
      }
    }
    if (plan.effect === 'reject') {
      const aliases = await registry.aliases(seen.modelName);
      if (aliases[CHALLENGER] === seen.candidateVersion) await registry.deleteAlias(seen.modelName, CHALLENGER);
      await registry.setAlias(seen.modelName, REJECTED, seen.candidateVersion);
    }
    return this.#write(seen, plan);
  }

  async #write(seen: RolloutState, plan: Plan): Promise<RolloutState> {
    const next = await this.#d.store.update(seen.id, (cur) => (cur.revision !== seen.revision ? null : { state: plan.state, events: plan.events, analysis: plan.analysis }));
    if (next.revision !== seen.revision) await this.#tell(next, plan.events);
    return next;
  }

  async #tell(s: RolloutState, events: readonly RolloutEvent[]): Promise<void> {
    if (!this.#d.notify) return;
    for (const e of events) {
      if (NOTIFIED_KINDS.has(e.kind)) await this.#d.notify({ modelName: s.modelName, rolloutId: s.id, kind: e.kind, message: e.message, ts: this.#now() });
    }
  }

  /** Live per-variant report over the whole rollout (status, the A/B decision, the shadow report). */
  async report(s: RolloutState, sinceTs = s.startedAt): Promise<RolloutReport> {
    const [stableName, candName] = s.variants;
    const w = { modelName: s.modelName, sinceTs };
    const stable = await this.#d.metrics.summary(w, stableName, null);
    const cand = await this.#d.metrics.summary(w, candName, stableName);
    const ab = s.strategy === 'ab'
      ? twoProportionTest({ n: stable.labelled, correct: stable.correct }, { n: cand.labelled, correct: cand.correct }, s.spec.ab.alpha)
      : undefined;
    return { at: this.#now(), variants: [stable, cand], ...(ab ? { ab } : {}), candidateShare: this.#d.metrics.candidateShare(stable, cand) };
  }

  /** What the current step needs, looping through the steps that complete at once (weight, mirror). */
  async #plan(s0: RolloutState): Promise<Plan | null> {
    const now = this.#now();
    const s = structuredClone(s0);
    const events: RolloutEvent[] = [];
    const analysis: AnalysisRow[] = [];
    const plan = (): Plan => ({ state: s, events, analysis });
    const advance = (why: string) => {
      s.steps[s.currentStep]!.finishedAt = now;
      events.push({ kind: 'step', actor: 'controller', message: `step ${s.currentStep + 1}/${s.spec.steps.length} done (${stepLabel(s.spec.steps[s.currentStep]!)}): ${why}` });
      s.currentStep++;
      s.stepStartedAt = now;
      s.lastAnalysisAt = null;
      s.failures = 0;
      s.inconclusive = 0;
      if (s.currentStep < s.steps.length) s.steps[s.currentStep]!.startedAt = now;
    };
    for (let guard = 0; guard <= s.spec.steps.length; guard++) {
      if (s.currentStep >= s.spec.steps.length) {
        s.phase = 'concluded';
        s.report = await this.report(s);
        events.push({ kind: 'concluded', actor: 'controller', message: `all ${s.spec.steps.length} steps done without a promote step: v${s.stableVersion} stays champion; ${describeReport(s.report)}`, data: s.report });
        s.weight = 0;
        s.mirror = 0;
        return plan();
      }
      const step = s.spec.steps[s.currentStep]!;
      if ('weight' in step) {
        s.weight = step.weight;
        s.windowStartedAt = now;
        advance(`the candidate answers ${step.weight}% of requests`);
        continue;
      }
      if ('mirror' in step) {
        s.mirror = step.mirror;
        s.windowStartedAt = now;
        advance(`${step.mirror}% of the stable variant's requests are mirrored to the candidate`);
        continue;
      }
      if ('pause' in step) {
        const p = step.pause as { requests?: number; seconds?: number };
        if (p.requests !== undefined) {
          const n = await this.#d.metrics.requests({ modelName: s.modelName, sinceTs: s.stepStartedAt }, s.variants);
          if (n < p.requests) return events.length ? plan() : null;
          advance(`${n} requests served`);
          continue;
        }
        if (p.seconds !== undefined) {
          if (now - s.stepStartedAt < p.seconds * 1000) return events.length ? plan() : null;
          advance(`${p.seconds} s passed`);
          continue;
        }
        s.phase = 'paused';
        s.pausedReason = 'indefinite pause step: run `pipeline rollout resume` to go on';
        events.push({ kind: 'paused', actor: 'controller', message: `step ${s.currentStep + 1}: paused until a person resumes (\`pipeline rollout resume ${s.modelName}\`)` });
        return plan();
      }
      if ('analysis' in step) {
        const t = s.spec.analysis[step.analysis]!;
        if (s.lastAnalysisAt !== null && now - s.lastAnalysisAt < t.interval * 1000) return events.length ? plan() : null;
        s.lastAnalysisAt = now;
        const w = { modelName: s.modelName, sinceTs: s.windowStartedAt };
        const stable = await this.#d.metrics.summary(w, s.variants[0], null);
        const cand = await this.#d.metrics.summary(w, s.variants[1], s.variants[0]);
        const m = measure(t, cand, stable);
        for (const r of m.metrics) analysis.push({ ts: now, step: s.currentStep, metric: r.metric, variant: s.variants[1], value: r.value, threshold: r.threshold, verdict: r.verdict });
        const detail = m.metrics.map((r) => `${r.metric} ${r.value === null ? 'n/a' : Number(r.value.toPrecision(4))}${r.stable !== null ? ` (stable ${Number(r.stable.toPrecision(4))})` : ''} ${r.threshold}: ${r.verdict}${r.verdict === 'inconclusive' ? ` (${r.samples} samples${r.stableSamples !== undefined ? `, stable ${r.stableSamples}` : ''})` : ''}`).join('; ');
        events.push({ kind: 'analysis', actor: 'controller', message: `analysis '${step.analysis}' ${m.verdict}: ${detail}`, data: m });
        if (m.verdict === 'pass') {
          advance(`analysis '${step.analysis}' passed`);
          continue;
        }
        if (m.verdict === 'fail') {
          s.failures++;
          if (s.failures > t.failure_limit) return this.#rollBack(s, plan(), `analysis '${step.analysis}' failed ${s.failures} times (failure_limit ${t.failure_limit}): ${m.metrics.filter((r) => r.verdict === 'fail').map((r) => `${r.metric} ${r.value === null ? 'n/a' : Number(r.value.toPrecision(4))} not ${r.threshold}`).join('; ')}`);
          return plan();
        }
        s.inconclusive++;
        if (s.inconclusive > t.inconclusive_limit) {
          s.phase = 'paused';
          s.pausedReason = `analysis '${step.analysis}' inconclusive ${s.inconclusive} times in a row (not enough traffic or feedback)`;
          events.push({ kind: 'paused', actor: 'controller', message: `${s.pausedReason}: resume to measure again, promote, or abort` });
        }
        return plan();
      }
      // promote
      if (s.strategy === 'ab') {
        const report = await this.report(s, s.windowStartedAt);
        const ab = report.ab!;
        if (ab.a.n < s.spec.ab.min_samples || ab.b.n < s.spec.ab.min_samples) return events.length ? plan() : null;
        s.report = report;
        events.push({ kind: 'analysis', actor: 'controller', message: `A/B ${describeAb(ab)}`, data: ab });
        if (ab.decision !== 'b_better') {
          s.phase = 'concluded';
          s.weight = 0;
          s.mirror = 0;
          s.steps[s.currentStep]!.finishedAt = now;
          events.push({ kind: 'concluded', actor: 'controller', message: `${ab.decision === 'a_better' ? 'a (stable) is better' : 'no significant difference'}: v${s.stableVersion} stays champion` });
          return ab.decision === 'a_better' ? { ...plan(), effect: 'reject' } : plan();
        }
      }
      s.phase = 'promoted';
      s.steps[s.currentStep]!.finishedAt = now;
      s.report = await this.report(s);
      s.weight = 0;
      s.mirror = 0;
      events.push({ kind: 'step', actor: 'controller', message: `step ${s.currentStep + 1}/${s.spec.steps.length}: promoting v${s.candidateVersion} through the registry gate (${s.gate.metric})` });
      return { ...plan(), effect: 'promote' };
    }
    return events.length ? plan() : null;
  }

  #rollBack(s: RolloutState, plan: Plan, why: string): Plan {
    s.phase = 'rolled_back';
    s.weight = 0;
    s.mirror = 0;
    plan.events.push({ kind: 'rolled_back', actor: 'controller', message: `${why}; weight back to 0, v${s.candidateVersion} marked '${REJECTED}', v${s.stableVersion} stays champion` });
    return { ...plan, effect: 'reject' };
  }
}

export function describeAb(ab: NonNullable<RolloutReport['ab']>): string {
  return `${ab.test} on ${ab.metric}: a ${ab.a.accuracy} [${ab.a.ci95.join(', ')}] (n=${ab.a.n}), b ${ab.b.accuracy} [${ab.b.ci95.join(', ')}] (n=${ab.b.n}); effect b-a ${ab.effect} [${ab.effectCi.join(', ')}], p=${ab.pValue}: ${ab.decision}`;
}

export function describeReport(r: RolloutReport): string {
  const [s, c] = r.variants;
  const f = (x: number | null) => (x === null ? 'n/a' : String(Number(x.toPrecision(4))));
  return `agreement with stable ${f(c!.agreement)} over ${c!.paired} paired requests; p99 ${f(c!.latencyP99Ms)} ms vs stable ${f(s!.latencyP99Ms)} ms; accuracy ${f(c!.feedbackAccuracy)} vs ${f(s!.feedbackAccuracy)}`;
}
