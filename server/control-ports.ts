/**
 * What the server (its dashboard, its admin routes, its metrics) needs from rollouts and monitoring, as ports:
 * `rollouts/` and `ml/monitoring/` implement them on the store; the app only sees these shapes. All times are ms
 * since epoch.
 */

export type RolloutStrategy = 'shadow' | 'ab' | 'canary';
export type RolloutPhase = 'progressing' | 'paused' | 'promoted' | 'rolled_back' | 'aborted' | 'concluded';
export type RolloutAction = 'pause' | 'resume' | 'abort' | 'promote';

export interface RolloutVariantView {
  /** `stable`, `canary`, `shadow`, `a`, `b`. */
  readonly variant: string;
  readonly alias: string | null;
  readonly version: number;
  /** Share of primary traffic, 0..100 (a shadow's is its mirror percentage). */
  readonly weight: number;
  readonly role: 'primary' | 'shadow';
}

export interface RolloutStepView {
  readonly index: number;
  /** `weight 20`, `mirror 100`, `pause 200 requests`, `analysis canary-basic`, `promote`. */
  readonly label: string;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export interface RolloutEventView {
  readonly ts: number;
  /** `started`, `step`, `analysis`, `paused`, `resumed`, `promoted`, `rolled_back`, `aborted`, ... */
  readonly kind: string;
  readonly message: string;
  /** Who acted: `controller`, or the person's name for an action from the dashboard or the CLI. */
  readonly actor: string;
}

export interface AnalysisResultView {
  readonly ts: number;
  readonly metric: string;
  readonly variant: string;
  readonly value: number | null;
  readonly threshold: string;
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
}

export interface RolloutStatusView {
  readonly id: string;
  readonly modelName: string;
  readonly strategy: RolloutStrategy;
  readonly phase: RolloutPhase;
  readonly currentStep: number;
  readonly steps: readonly RolloutStepView[];
  readonly variants: readonly RolloutVariantView[];
  readonly analysis: readonly AnalysisResultView[];
  readonly events: readonly RolloutEventView[];
  readonly startedAt: number;
  readonly updatedAt: number;
}

export interface RolloutControl {
  /** The newest rollout of the model (running or finished), or null when there never was one. */
  current(modelName: string): Promise<RolloutStatusView | null>;
  /** A person's action; throws an Error whose message says why when the action does not apply to the phase. */
  act(modelName: string, action: RolloutAction, actor: string, reason?: string): Promise<RolloutStatusView>;
}

export interface DetectorResultView {
  readonly windowEnd: number;
  /** `input.brightness`, `prediction.class_distribution`, `embedding.mmd`, `out_of_scope.share`, `cbpe.accuracy`, ... */
  readonly detector: string;
  readonly score: number;
  readonly threshold: number;
  readonly verdict: 'ok' | 'drift' | 'insufficient';
}

export interface AlertView {
  readonly id: string;
  readonly ts: number;
  readonly modelName: string;
  readonly detector: string;
  /** In words: "inputs much darker than the reference". */
  readonly message: string;
  readonly command: string;
  readonly acknowledgedBy: string | null;
  readonly acknowledgedAt: number | null;
}

export interface MonitoringView {
  /** The detectors of the newest window, or empty. */
  latest(modelName: string): Promise<readonly DetectorResultView[]>;
  /** Scores over time, oldest first. */
  history(modelName: string, sinceTs: number): Promise<readonly DetectorResultView[]>;
  alerts(modelName: string, sinceTs: number): Promise<readonly AlertView[]>;
  /** Throws when the alert is unknown. */
  acknowledge(alertId: string, actor: string): Promise<void>;
  /**
   * The reference's predicted-class shares (class -> 0..1), for the dashboard's class-distribution panel; optional:
   * without it (or when it resolves null) the panel shows the live distribution alone.
   */
  referenceClassShares?(modelName: string): Promise<Readonly<Record<string, number>> | null>;
}
