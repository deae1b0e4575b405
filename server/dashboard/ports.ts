/** What the dashboard reads and acts through: the app's own parts plus the optional ports of other modules. */
import type client from 'prom-client';
import type { ModelHolder } from '../model-holder.ts';
import type { MonitoringView, RolloutControl } from '../control-ports.ts';
import type { PredictionLog } from '../../stores/prediction-log.ts';
import type { ResolvedDashboardOptions } from './options.ts';

export interface DashboardDeps {
  readonly options: ResolvedDashboardOptions;
  readonly modelName: string;
  /** The alias `/predict` routes to. */
  readonly routedAlias: string;
  readonly holder: ModelHolder;
  readonly registry: client.Registry;
  /** Requests being processed now (decoding or queued for the model). */
  readonly queueDepth: () => number;
  /** Prediction-log rows waiting to be written. */
  readonly logQueue: () => number;
  /** The read side of the prediction log; without it the class, confidence and history panels say so. */
  readonly predictions?: Pick<PredictionLog, 'recent' | 'buckets'>;
  readonly rollouts?: RolloutControl;
  readonly monitoring?: MonitoringView;
  readonly onError: (message: string) => void;
}
