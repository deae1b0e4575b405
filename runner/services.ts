/**
 * What the engine and the CLI receive from the product's composition root (`app/`): the runner declares these
 * shapes and never constructs a product service itself (`runner/` imports nothing from `steps/`, `ml/`,
 * `stores/` or `server/`; tests/runner/imports.test.ts checks it).
 */
import type { Command } from 'commander';
import type { FileHasher } from './cache-key.ts';
import type { PipelineConfig } from './config/pipeline-config.ts';
import type { StepStores } from './context.ts';
import type { Registry } from './registry.ts';

export type { FileHasher } from './cache-key.ts';

/** Milliseconds since the epoch. */
export type Clock = () => number;

/** The services one engine run uses, opened before the first stage and closed by whoever opened them. */
export interface EngineServices {
  /** Handed to every step as `ctx.stores`. */
  readonly stores: StepStores;
  /** Hashes input files for cache keys (memoised by the product, e.g. in its store). */
  readonly hasher: FileHasher;
  readonly clock: Clock;
}

/** Opened services plus their release. */
export interface OpenedServices extends EngineServices {
  /** Where the stores live, printable (no password), for the run's log. */
  readonly describe: string;
  close(): Promise<void>;
}

/** A product as the CLI sees it: its steps and sections, how to open its services, and its own commands. */
export interface Product {
  readonly registry: Registry;
  /** Opens the services a run of `config` uses (the store the pipeline names, migrated). */
  openServices(config: PipelineConfig): Promise<OpenedServices>;
  /** The product's own commands (`runs`, `registry`, ...), added after the runner's. */
  readonly commands: readonly ((program: Command, product: Product) => void)[];
}
