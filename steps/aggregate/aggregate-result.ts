import type { CvMeans } from '../../ml/selection/cv-metrics.ts';
import type { TestMetrics } from '../../ml/metrics/classification.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';

/** What the aggregate stage hands to export and register. */
export interface AggregateResult {
  readonly experiment: string;
  readonly summaryFile: string;
  readonly reportFile: string;
  /** The tracking run that records the selection (fold means and stds). */
  readonly parentRunId: string;
  readonly winner: {
    readonly architecture: string;
    readonly entry: ArchitectureEntry;
    readonly combination: string;
    readonly params: Readonly<Record<string, unknown>>;
    /** The run whose model is exported (the refit run when refit is on). */
    readonly runId: string;
    readonly modelDir: string;
    readonly refit: boolean;
    readonly test: TestMetrics;
    /** Fold means of the configuration's validation metrics. */
    readonly cv: CvMeans;
    /** Divides the logits in the exported model (1: no calibration). */
    readonly temperature: number;
  };
}
