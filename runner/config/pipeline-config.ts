/** The validated, frozen pipeline the engine runs. */
import type { AnyStep } from '../step.ts';

export interface StageConfig {
  /** The stage's name (its key under `stages:`). */
  readonly name: string;
  readonly step: AnyStep;
  /** Validated `with:` block, defaults filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly resource: string;
  readonly description?: string;
  /** For each name in the step's `needs`, the stage that provides it. */
  readonly needs: Readonly<Record<string, string>>;
}

export interface PipelineConfig {
  readonly name: string;
  readonly description?: string;
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** Absolute working directory. */
  readonly workdir: string;
  readonly paths: { readonly data: string; readonly experiments: string; readonly outputs: string };
  readonly resources: Readonly<Record<string, number>>;
  /** Stages in file order. */
  readonly stages: readonly StageConfig[];
  /** Every stage name in file order, including stages whose step is missing (lenient loading only). */
  readonly stageOrder: readonly string[];
  /** Stages naming a step that does not exist (only filled when loaded with `lenientSteps`). */
  readonly missingSteps: readonly { readonly stage: string; readonly step: string; readonly message: string }[];
  /** The product's sections (`data`, `backbone`, ...), validated. */
  readonly sections: Readonly<Record<string, unknown>>;
  /** The whole resolved document (after interpolation, overrides and defaults), as written to the run record. */
  readonly resolved: unknown;
  /** sha256 of `resolved`. */
  readonly hash: string;
}
