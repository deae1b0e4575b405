/** Starting a rollout: the champion is the stable variant, the candidate (default: the challenger) the new one. */
import { randomUUID } from 'node:crypto';
import { CHALLENGER, CHAMPION, type RegistryStore } from '../stores/registry-types.ts';
import type { RolloutStrategy } from '../server/control-ports.ts';
import type { RolloutSpecInput } from '../steps/serve/rollout-schema.ts';
import type { Notifier } from './notify.ts';
import { normalizeSpec, stepLabel, variantNames } from './spec.ts';
import type { RolloutStore } from './store.ts';
import type { GateSettings, RolloutState } from './types.ts';

export interface StartRolloutOptions {
  readonly store: RolloutStore;
  readonly registry: RegistryStore;
  readonly modelName: string;
  /** Default: the `challenger` alias. */
  readonly version?: number;
  /** Overrides the spec's strategy (then the strategy's default steps, unless the spec lists steps). */
  readonly strategy?: RolloutStrategy;
  readonly spec?: Partial<RolloutSpecInput>;
  readonly gate?: GateSettings;
  readonly actor: string;
  readonly notify?: Notifier;
  readonly now?: () => number;
}

export class RolloutStartError extends Error {}

export async function startRollout(o: StartRolloutOptions): Promise<RolloutState> {
  const now = (o.now ?? Date.now)();
  const aliases = await o.registry.aliases(o.modelName);
  const champion = aliases[CHAMPION];
  if (champion === undefined) throw new RolloutStartError(`model '${o.modelName}' has no champion to roll out against: register a version first (see \`pipeline registry list\`)`);
  const candidate = o.version ?? aliases[CHALLENGER];
  if (candidate === undefined) throw new RolloutStartError(`model '${o.modelName}' has no challenger: register a new version or pass --version N`);
  if (candidate === champion) throw new RolloutStartError(`v${candidate} of '${o.modelName}' is already the champion: nothing to roll out`);
  if (!(await o.registry.resolve(o.modelName, candidate))) throw new RolloutStartError(`model '${o.modelName}' has no version ${candidate}: see \`pipeline registry list\``);
  const strategySpec = o.strategy && o.spec?.strategy !== o.strategy ? { ...o.spec, strategy: o.strategy, steps: undefined } : (o.spec ?? {});
  const spec = normalizeSpec(strategySpec as Partial<RolloutSpecInput>);
  // Promotion goes through the registry: the candidate must be its challenger.
  if (aliases[CHALLENGER] !== candidate) await o.registry.setAlias(o.modelName, CHALLENGER, candidate);
  const state: RolloutState = {
    id: randomUUID(),
    modelName: o.modelName,
    strategy: spec.strategy,
    spec,
    gate: o.gate ?? { metric: 'test.accuracy', minDelta: 0, higherIsBetter: true },
    stableVersion: champion,
    candidateVersion: candidate,
    variants: variantNames(spec.strategy),
    phase: 'progressing',
    currentStep: 0,
    weight: 0,
    mirror: 0,
    windowStartedAt: now,
    stepStartedAt: now,
    steps: spec.steps.map((_, i) => ({ startedAt: i === 0 ? now : null, finishedAt: null })),
    failures: 0,
    inconclusive: 0,
    lastAnalysisAt: null,
    pausedReason: null,
    report: null,
    startedAt: now,
    updatedAt: now,
    revision: 1,
  };
  const message = `${spec.strategy} of v${candidate} against champion v${champion}: ${spec.steps.map(stepLabel).join(', ')}`;
  const created = await o.store.create(state, { kind: 'started', actor: o.actor, message });
  await o.notify?.({ modelName: o.modelName, rolloutId: state.id, kind: 'started', message, ts: now });
  return created;
}
