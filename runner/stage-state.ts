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

/** The state file name of one shard: `train@0of3`. */
export function shardStateName(stage: string, shard: string): string {
  const [i, n] = shard.split('/');
  return `${stage}@${i}of${n}`;
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

  /**
   * Writes the state of a whole run (`train.json`) or of one shard (`train@0of3.json`, one file per shard, so
   * shard processes in one workdir never overwrite each other). A whole run's state supersedes the shards'
   * (removed), and a shard's state supersedes an older whole run's.
   */
  write(state: StageState): void {
    const name = state.shard ? shardStateName(state.stage, state.shard) : state.stage;
    writeJsonAtomic(this.#file(name), toPortable(state, this.workdir));
    if (state.shard) fs.rmSync(this.#file(state.stage), { force: true });
    else for (const f of this.#shardFiles(state.stage)) fs.rmSync(path.join(this.dir, f), { force: true });
  }

  #shardFiles(stage: string): string[] {
    const re = /^(.+)@\d+of\d+\.json$/;
    try {
      return fs.readdirSync(this.dir).filter((f) => re.exec(f)?.[1] === stage);
    } catch {
      return [];
    }
  }

  /**
   * What downstream stages see of `stage`: the whole run's state, else the shards' states combined (those of
   * the newest shard count): the result of the newest shard, a content hash over every shard's, and `shard`
   * listing the shards done. Downstream steps of a sharded stage read what they need from the store (aggregate:
   * the finished runs), not from this result.
   */
  readCombined(stage: string): StageState | undefined {
    const whole = this.read(stage);
    if (whole) return whole;
    const shards = this.#shardFiles(stage).flatMap((f) => this.read(f.slice(0, -'.json'.length)) ?? []);
    if (!shards.length) return undefined;
    shards.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
    const newest = shards.at(-1)!;
    const count = newest.shard!.split('/')[1];
    const same = shards.filter((s) => s.shard!.split('/')[1] === count).sort((a, b) => a.shard!.localeCompare(b.shard!, 'en', { numeric: true }));
    return {
      ...newest,
      shard: same.map((s) => s.shard).join(', '),
      contentHash: hashValue(same.map((s) => [s.shard, StageStates.contentHash(s)])),
      outputs: same.flatMap((s) => s.outputs),
    };
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
