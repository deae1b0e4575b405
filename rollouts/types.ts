/** The state of one rollout as the store keeps it (the `state` JSON column) and the controller evolves it. */
import type { AnalysisResultView, RolloutPhase, RolloutStrategy } from '../server/control-ports.ts';
import type { RolloutSpec } from './spec.ts';

export interface GateSettings {
  readonly metric: string;
  readonly minDelta: number;
  readonly higherIsBetter: boolean;
}

export interface StepTimes {
  startedAt: number | null;
  finishedAt: number | null;
}

export interface RolloutState {
  readonly id: string;
  readonly modelName: string;
  readonly strategy: RolloutStrategy;
  readonly spec: RolloutSpec;
  readonly gate: GateSettings;
  /** The champion's version when the rollout started (the variant that keeps answering). */
  readonly stableVersion: number;
  readonly candidateVersion: number;
  /** [stable, candidate], e.g. ['stable', 'canary']. */
  readonly variants: readonly [string, string];
  phase: RolloutPhase;
  currentStep: number;
  /** Candidate's share of primary traffic, 0..100. */
  weight: number;
  /** Share of the stable variant's requests mirrored to the candidate, 0..100. */
  mirror: number;
  /** Analysis windows start when the traffic last changed (a weight or mirror step). */
  windowStartedAt: number;
  stepStartedAt: number;
  steps: StepTimes[];
  failures: number;
  inconclusive: number;
  lastAnalysisAt: number | null;
  /** Why the rollout is paused (shown by status). */
  pausedReason: string | null;
  /** The A/B decision or the shadow report, when there is one. */
  report: RolloutReport | null;
  readonly startedAt: number;
  updatedAt: number;
  /** Bumped on every write (replicas compare it). */
  revision: number;
}

export interface VariantSummary {
  readonly variant: string;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly latencyP99Ms: number | null;
  readonly meanConfidence: number | null;
  readonly labelled: number;
  readonly correct: number;
  readonly feedbackAccuracy: number | null;
  /** Requests both variants answered (mirrored) and how many of them had the same top-1 class. */
  readonly paired: number;
  readonly agreement: number | null;
}

export interface AbDecision {
  readonly test: 'two-proportion z-test';
  readonly metric: 'feedback_accuracy';
  readonly a: { readonly n: number; readonly accuracy: number; readonly ci95: readonly [number, number] };
  readonly b: { readonly n: number; readonly accuracy: number; readonly ci95: readonly [number, number] };
  /** b - a, with its 95% (1 - alpha) interval. */
  readonly effect: number;
  readonly effectCi: readonly [number, number];
  readonly z: number;
  readonly pValue: number;
  readonly alpha: number;
  readonly decision: 'b_better' | 'a_better' | 'no_difference';
}

export interface RolloutReport {
  readonly at: number;
  readonly variants: readonly VariantSummary[];
  readonly ab?: AbDecision;
  /** Share of primary requests the candidate answered over the rollout so far. */
  readonly candidateShare?: number;
}

export interface RolloutEvent {
  readonly kind: string;
  readonly message: string;
  readonly actor: string;
  readonly data?: unknown;
}

export interface AnalysisRow extends AnalysisResultView {
  readonly step: number;
}

export const ACTIVE_PHASES: ReadonlySet<RolloutPhase> = new Set(['progressing', 'paused']);
