/**
 * The contract between the engine and a step module: meta (name, version, schema, what it reads) plus one
 * `run(ctx, params)`. `steps/index.ts` lists the steps explicitly; the engine knows nothing about images or food.
 */
import { type Static, type TSchema } from './schema-builder.ts';
import type { StepContext } from './context.ts';

/** A top-level section of the pipeline file owned by the product (e.g. `data`, `backbone`, `architectures`). */
export interface SectionDefinition<S extends TSchema = TSchema> {
  /** Key in the pipeline file. */
  readonly key: string;
  readonly description: string;
  readonly schema: S;
  readonly required?: boolean;
}

/** What a step returns: a JSON-serialisable result for later stages, and the files it wrote. */
export interface StepResult<R = unknown> {
  /** Handed to later stages through `ctx.input(stepName)`; also stored with the stage's cache entry. */
  readonly result: R;
  /**
   * The part of `result` that is content: what later stages' cache keys depend on (default: the whole result).
   * Leave out bookkeeping (computed/reused counts, fresh run ids, timings, absolute paths), so that running an
   * unchanged stage again leaves everything below it cached (DVC's lock file: outputs by content).
   */
  readonly content?: unknown;
  /** Files or directories the stage wrote (absolute). The stage is stale if one of them is missing. */
  readonly outputs?: readonly string[];
}

export interface StepDefinition<S extends TSchema = TSchema, R = unknown> {
  /** The name used in `step:` in the pipeline file. */
  readonly name: string;
  /** Bump when the step's behaviour changes: it is part of the cache key. */
  readonly version: number;
  readonly description: string;
  /** JSON Schema of the stage's `with:` block (validated before anything runs). */
  readonly schema: S;
  /** Step kinds whose results this step reads, from the nearest earlier stage of that kind. */
  readonly needs?: readonly string[];
  /** Sections of the pipeline file this step reads; their values are part of the cache key. */
  readonly reads?: readonly SectionDefinition[];
  /** The resource pool its heavy work uses by default (a stage may override it with `resource:`). */
  readonly resource?: string;
  /**
   * False for long-running or side-effect-only stages (serve): never cached. Such a stage is expected to end when
   * `ctx.signal` aborts (Ctrl-C, SIGTERM); returning then counts as finishing, not as an interruption. Default true.
   */
  readonly cache?: boolean;
  /**
   * True when the step splits its work with `--shard i/n` (train): the shard is then part of its cache key and
   * state. Default false: the flag does not concern the step.
   */
  readonly shardable?: boolean;
  /**
   * Files or directories whose content goes into the cache key (hashed by content, memoised by size and mtime).
   * Called with the validated params before the stage runs.
   */
  inputs?(params: Static<S>, ctx: InputsContext): readonly string[] | Promise<readonly string[]>;
  /**
   * What the output depends on besides the step's own code, params, sections and inputs: code and library
   * versions elsewhere (the features step returns the preprocessing id, which changes with the decoder build and
   * PREPROCESS_CODE_VERSION). Part of the cache key; called with the validated params.
   */
  fingerprint?(params: Static<S>, ctx: InputsContext): unknown | Promise<unknown>;
  /**
   * Cross-checks that JSON Schema cannot express (e.g. a grid naming an architecture that is not declared).
   * Paths are relative to the stage's `with:` block. Runs at validation time, before any stage.
   */
  check?(params: Static<S>, ctx: InputsContext): readonly StepCheckIssue[];
  run(ctx: StepContext, params: Static<S>): Promise<StepResult<R>>;
}

export interface StepCheckIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What `inputs()` can see: the resolved configuration, not the services. */
export interface InputsContext {
  readonly workdir: string;
  section<S extends TSchema>(def: SectionDefinition<S>): Static<S>;
  /** Resolves a path from the pipeline file against its workdir. */
  resolvePath(p: string): string;
}

/** Identity helper that gives a step definition its parameter types from its schema. */
export function defineStep<S extends TSchema, R>(def: StepDefinition<S, R>): StepDefinition<S, R> {
  return Object.freeze(def);
}

/** Identity helper for a top-level section of the pipeline file. */
export function defineSection<S extends TSchema>(def: SectionDefinition<S>): SectionDefinition<S> {
  return Object.freeze(def);
}

// Steps are stored in heterogeneous lists; the engine only needs the erased shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = StepDefinition<any, any>;
