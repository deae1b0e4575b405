/**
 * `--shard i/n` for steps that split their work (train): the shard is part of such a stage's cache key and of its
 * recorded state, so `--shard 1/2` after `--shard 0/2` in one workdir trains the second half instead of finding
 * the first half "cached". Stages that do not split their work ignore the flag (their keys do not change).
 */
import type { StageConfig } from './config/pipeline-config.ts';
import type { RunOptions } from './context.ts';

/** `i/n` when `stage` splits its work and a shard was asked for; undefined otherwise. */
export function shardOf(stage: StageConfig, shard: RunOptions['shard']): string | undefined {
  return stage.step.shardable && shard ? `${shard.index}/${shard.count}` : undefined;
}
