/**
 * The record of a finished stage (its cache entry): written atomically only after the stage succeeded, so a
 * stage killed half-way has no entry and runs again; earlier stages stay cached (resume).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from './fs-atomic.ts';
import { hashValue } from './hash.ts';
import { fromPortable, toPortable } from './portable-paths.ts';

export interface StageState {
  readonly stage: string;
  readonly step: string;
  readonly stepVersion: number;
  /** Cache key: hash of params and sections read (without performance knobs), upstream content, input file contents and step version. */
  readonly key: string;
  readonly result: unknown;
  /** `i/n` when the stage ran one shard of its work (`--shard`). */
  readonly shard?: string;
  /** sha256 of the content part of the result (`StepResult.content`): what later stages' keys depend on. */
  readonly contentHash?: string;
  readonly outputs: readonly string[];
  readonly finishedAt: string;
  readonly seconds: number;
}

export class StageStates {
  readonly dir: string;
  /** Paths inside it are stored relative to it (a moved or cloned checkout keeps its cache). */
  readonly workdir: string;
  constructor(dir: string, workdir: string) {
    this.dir = dir;
    this.workdir = workdir;
  }

  #file(stage: string): string {
    return path.join(this.dir, `${stage}.json`);
  }

  read(stage: string): StageState | undefined {
    try {
      return fromPortable(JSON.parse(fs.readFileSync(this.#file(stage), 'utf8')) as StageState, this.workdir);
    } catch {
      return undefined; // never run, or unreadable: either way the stage must run
    }
  }

  write(state: StageState): void {
    writeJsonAtomic(this.#file(state.stage), toPortable(state, this.workdir));
  }

  /** What later stages' keys depend on (older states without a content hash: the whole result). */
  static contentHash(state: StageState): string {
    return state.contentHash ?? hashValue(state.result);
  }

  /** True when every output the stage declared still exists. */
  static outputsExist(state: StageState): boolean {
    return state.outputs.every((p) => fs.existsSync(p));
  }
}
