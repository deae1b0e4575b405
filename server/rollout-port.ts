/**
 * What the server needs from rollouts (implemented on the store by `rollouts/`, adapted in steps/serve): the
 * routing state of the model's active rollout, polled by every replica, and the controller's tick, which only the
 * lease holder turns into actions. Feedback goes to the prediction log through `FeedbackPort`.
 */
import type { RolloutControl, RolloutPhase, RolloutStrategy } from './control-ports.ts';
import type { Feedback, LoggedPrediction } from '../stores/prediction-log.ts';

export interface RoutingState {
  readonly id: string;
  readonly revision: number;
  readonly phase: RolloutPhase;
  readonly strategy: RolloutStrategy;
  /** [stable, candidate] variant names, e.g. ['stable', 'canary']. */
  readonly variants: readonly [string, string];
  readonly stableVersion: number;
  readonly candidateVersion: number;
  /** Candidate's share of primary traffic, 0..100. */
  readonly weight: number;
  /** Share of the stable variant's requests mirrored to the candidate, 0..100. */
  readonly mirror: number;
  readonly currentStep: number;
}

export interface VariantGauges {
  readonly variant: string;
  readonly agreement: number | null;
  readonly feedbackAccuracy: number | null;
}

export interface ServerRollouts {
  /** The model's progressing or paused rollout, or null. */
  active(modelName: string): Promise<RoutingState | null>;
  /** One controller step; a replica that does not hold the lease does nothing. */
  tick?(modelName: string): Promise<void>;
  /** Agreement and feedback accuracy per variant over the rollout (exported as gauges). */
  gauges?(modelName: string): Promise<readonly VariantGauges[]>;
  /** Status and actions for `GET /rollout` (and the dashboard). */
  readonly control?: RolloutControl;
}

export type FeedbackPort = {
  byRequest(requestId: string): Promise<LoggedPrediction[]>;
  recordFeedback(feedback: Feedback): Promise<boolean>;
};
