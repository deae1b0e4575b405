/**
 * The identity of a training run's configuration. A finished run with the same hash in the tracking store is
 * reused instead of trained again (a train stage killed half-way resumes with the runs it had finished).
 */
import path from 'node:path';
import { hashValue } from '../../lib/hash.ts';

export interface RunConfig {
  readonly datasetVersion: string;
  readonly featureSpace: unknown;
  readonly views: readonly string[];
  readonly tta: readonly string[];
  readonly architecture: unknown;
  readonly params: unknown;
  readonly fold: number;
  readonly backend: string;
}

export function runConfigHash(c: RunConfig): string {
  return hashValue(c).slice(0, 16);
}

/** Where a run's lasting artifacts go: experiments/artifacts/<experiment>/<run name>-<config hash>/. */
export function runArtifactDir(experimentsDir: string, experiment: string, name: string, configHash: string): string {
  return path.join(experimentsDir, 'artifacts', experiment, `${name}-${configHash}`);
}
