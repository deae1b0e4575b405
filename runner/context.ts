/**
 * Everything a step may use comes through this object: no module-level state anywhere in the project.
 */
import { type Static, type TSchema } from './schema-builder.ts';
import type { Logger } from './logger.ts';
import type { Pools } from './pools.ts';
import type { SectionDefinition } from './step.ts';

/**
 * The stores steps receive. The runner knows nothing about them: the product declares their members through
 * module augmentation (`declare module '.../runner/context.ts' { interface StepStores { ... } }`, see
 * app/step-stores.ts), so the engine stays product-free while steps get typed stores.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StepStores {}

export interface ProjectPaths {
  /** The pipeline's working directory: relative paths in the pipeline file resolve against it. */
  readonly workdir: string;
  /** `data/`: data sets and derived splits (`data/processed/<dataset-version>/`). Lasting. */
  readonly data: string;
  readonly processed: string;
  /** `experiments/`: the lasting record (the default SQLite store and registered model artifacts). */
  readonly experiments: string;
  /** `outputs/`: the latest run's artifacts only. */
  readonly outputs: string;
  readonly logs: string;
}

/** A progress reporter for one unit of work inside a stage. */
export interface Progress {
  tick(n?: number): void;
  /** What is in flight now (e.g. `mlp_c1_fold2 epoch 5/30`), shown with the next progress line. */
  note(text: string): void;
  /** Marks the work finished (prints the final line). */
  done(): void;
}

export interface RunOptions {
  readonly force: boolean;
  /** Only this shard of the work (`--shard i/n`), for stages that can split it (train). */
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface StepContext {
  /** The stage's name in the pipeline file. */
  readonly stage: string;
  readonly pipelineName: string;
  /** Absolute path of the pipeline file. */
  readonly pipelineFile: string;
  /** sha256 of the resolved, validated pipeline (after interpolation and overrides). */
  readonly pipelineHash: string;
  readonly paths: ProjectPaths;
  readonly log: Logger;
  /** Resource pools (p-queue). `ctx.pools.run(fn)` uses the stage's resource. */
  readonly pools: Pools;
  /** The product's stores, opened before the first stage (see `StepStores`). */
  readonly stores: StepStores;
  /** Milliseconds since the epoch (the product's clock; tests inject a fixed one). */
  readonly clock: () => number;
  /** Aborted on SIGINT/SIGTERM: long loops should check it. */
  readonly signal: AbortSignal;
  readonly options: RunOptions;
  /** The stage's resource name (from the stage's `resource:` or the step's default). */
  readonly resource: string;
  /** A section of the pipeline file; it must be listed in the step's `reads`. */
  section<S extends TSchema>(def: SectionDefinition<S>): Static<S>;
  /** The result of the nearest earlier stage whose step is `step`; it must be listed in the step's `needs`. */
  input<R>(step: string): R;
  /** Resolves a path from the pipeline file against its workdir. */
  resolvePath(p: string): string;
  progress(label: string, total: number, unit?: string): Progress;
}
