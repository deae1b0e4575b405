/**
 * What the engine runs: the steps and top-level sections a product registers (explicit lists, no scanning).
 */
import type { AnyStep, SectionDefinition } from './step.ts';

export interface Registry {
  readonly steps: readonly AnyStep[];
  readonly sections: readonly SectionDefinition[];
}
