/**
 * The engine: for each selected stage, compute its cache key, skip it when cached, otherwise run its step with a
 * context and record the result. Knows nothing about images or food.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stageKey } from './cache-key.ts';
import type { PipelineConfig, StageConfig } from './config/pipeline-config.ts';
import type { ProjectPaths, RunOptions, StepContext } from './context.ts';
import { InterruptedError, MissingInputError, StageError } from './errors.ts';
import { sweepCrashDebris } from './crash-debris.ts';
import { hashValue } from './hash.ts';
import { hashingProgress } from './hashing-progress.ts';
import { createLogger, type LogSink, type Logger } from './logger.ts';
import { selectStages, type Selection, type StageStatus } from './plan.ts';
import { ResourcePools } from './pools.ts';
import { createProgress } from './progress.ts';
import { shardOf } from './shard-key.ts';
import { StageKeyMemo } from './stage-key-memo.ts';
import { shardStateName, StageStates, type StageState } from './stage-state.ts';
import type { EngineServices } from './services.ts';
import type { InputsContext, SectionDefinition } from './step.ts';
import { WorkdirGuard } from './workdir-lock.ts';

export interface StageOutcome {
  readonly stage: string;
  readonly status: 'ran' | 'cached';
  readonly seconds: number;
}

export function projectPaths(config: PipelineConfig): ProjectPaths {
  const { data, experiments, outputs } = config.paths;
  return {
    workdir: config.workdir,
    data,
    processed: path.join(data, 'processed'),
    experiments,
    outputs,
    logs: path.join(outputs, 'logs'),
  };
}

export class Engine {
  readonly config: PipelineConfig;
  readonly paths: ProjectPaths;
  readonly states: StageStates;
  readonly sink: LogSink;
  readonly log: Logger;
  readonly services: EngineServices;
  readonly #view: InputsContext;
  readonly #memo = new StageKeyMemo<string | undefined, StageStatus>();
  /** The `--shard` of the current run (none for `plan`). */
  #shard: RunOptions['shard'];

  /** `services` come from the product's composition root, already open; their owner closes them. */
  constructor(config: PipelineConfig, sink: LogSink, services: EngineServices) {
    this.config = config;
    this.services = services;
    this.paths = projectPaths(config);
    this.states = new StageStates(path.join(this.paths.outputs, '.state'), config.workdir);
    this.sink = sink;
    this.log = createLogger(sink);
    this.#view = {
      workdir: config.workdir,
      resolvePath: (p) => path.resolve(config.workdir, p),
      section: <S extends SectionDefinition['schema']>(def: SectionDefinition<S>) => config.sections[def.key] as never,
    };
  }

  /**
   * The key of `stage` given the content its upstream stages produced (not their bookkeeping: see
   * `StepResult.content`); undefined if an upstream has no recorded result. Memoised until a state is written.
   */
  key(stage: StageConfig): Promise<string | undefined> {
    return this.#memo.key(stage.name, async () => {
      const upstream: Record<string, unknown> = {};
      for (const [need, provider] of Object.entries(stage.needs)) {
        const state = this.states.readCombined(provider);
        if (!state) return undefined;
        upstream[need] = StageStates.contentHash(state);
      }
      const hashing = hashingProgress(this.sink, stage.name);
      const key = await stageKey(this.config, stage, upstream, this.#view, this.services.hasher, { shard: shardOf(stage, this.#shard), onProgress: hashing.onProgress });
      hashing.done();
      return key;
    });
  }

  /** Whether `stage` would be skipped or run now (for `pipeline plan`). */
  status(stage: StageConfig): Promise<StageStatus> {
    return this.#memo.status(stage.name, () => this.#status(stage));
  }

  async #status(stage: StageConfig): Promise<StageStatus> {
    if (stage.step.cache === false) return { kind: 'pending', reason: 'never cached' };
    for (const provider of Object.values(stage.needs)) {
      const upstream = this.config.stages.find((s) => s.name === provider)!;
      const s = await this.status(upstream);
      if (s.kind !== 'cached') return { kind: 'pending', reason: `after ${provider}` };
    }
    const key = await this.key(stage);
    const shard = shardOf(stage, this.#shard);
    const state = shard ? this.states.read(shardStateName(stage.name, shard)) : this.states.readCombined(stage.name);
    if (!state) return { kind: 'pending', reason: 'never ran' };
    if (state.key !== key) return { kind: 'pending', reason: state.shard ? `its last run did shard ${state.shard} only` : 'inputs or params changed' };
    if (!StageStates.outputsExist(state)) return { kind: 'pending', reason: 'outputs missing' };
    return { kind: 'cached', key: state.key, finishedAt: state.finishedAt };
  }

  /** Runs the selected stages, holding the workdir's lock (one run per workdir at a time). */
  async run(selection: Selection, options: RunOptions, signal: AbortSignal): Promise<StageOutcome[]> {
    this.#shard = options.shard;
    this.#memo.clear();
    const guard = new WorkdirGuard(this.config.workdir, (m) => this.log.warn(m), this.#shardScope(selection, options));
    try {
      return await this.#runStages(selection, options, signal, guard);
    } finally {
      guard.release();
    }
  }

  /**
   * `train@0of3` when this run does one shard of shardable stages only (`--only train --shard 0/3`): such runs
   * take a lock of their own, so shard processes share a workdir; any other run locks the whole workdir.
   */
  #shardScope(selection: Selection, options: RunOptions): string | undefined {
    if (!options.shard) return undefined;
    const cached = selectStages(this.config, selection).filter((s) => s.step.cache !== false);
    if (!cached.length || !cached.every((s) => s.step.shardable)) return undefined;
    return shardStateName(cached.map((s) => s.name).join('+'), `${options.shard.index}/${options.shard.count}`);
  }

  async #runStages(selection: Selection, options: RunOptions, signal: AbortSignal, guard: WorkdirGuard): Promise<StageOutcome[]> {
    const selected = selectStages(this.config, selection);
    const selectedNames = new Set(selected.map((s) => s.name));
    guard.forStage(selected.some((s) => s.step.cache !== false));
    for (const f of sweepCrashDebris([this.paths.outputs, this.paths.processed, this.paths.experiments])) this.log.debug(`removed crash debris ${f}`);
    const pools = new ResourcePools(this.config.resources);
    const outcomes: StageOutcome[] = [];
    for (const stage of selected) {
      if (signal.aborted) throw new InterruptedError();
      for (const provider of Object.values(stage.needs)) {
        if (selectedNames.has(provider)) continue;
        const upstream = this.config.stages.find((x) => x.name === provider)!;
        const s = await this.status(upstream);
        // Shards of a stage done (maybe in other workdirs): the downstream step checks the store for the rest.
        const sharded = upstream.step.shardable && this.states.readCombined(provider)?.shard !== undefined;
        if (s.kind !== 'cached' && !sharded) {
          throw new MissingInputError(
            `stage '${stage.name}' needs the result of stage '${provider}', which is not up to date (${s.kind === 'pending' ? s.reason : s.kind}); ` +
              `run \`pipeline run ${path.relative(process.cwd(), this.config.file)} --until ${provider}\` first, or include it in --from/--only`,
          );
        }
      }
      guard.forStage(stage.step.cache !== false);
      outcomes.push(await this.#runStage(stage, pools, options, signal));
    }
    return outcomes;
  }

  async #runStage(stage: StageConfig, pools: ResourcePools, options: RunOptions, signal: AbortSignal): Promise<StageOutcome> {
    const log = this.log.child(stage.name);
    const cacheable = stage.step.cache !== false;
    const key = cacheable ? await this.key(stage) : undefined;
    const shard = shardOf(stage, options.shard);
    const previous = shard ? this.states.read(shardStateName(stage.name, shard)) : this.states.read(stage.name);
    if (cacheable && !options.force && previous && previous.key === key && StageStates.outputsExist(previous)) {
      log.success(`cached (finished ${previous.finishedAt}, key ${previous.key.slice(0, 12)})`);
      return { stage: stage.name, status: 'cached', seconds: 0 };
    }
    log.info(`running step '${stage.step.name}'${options.force && previous ? ' (forced)' : ''}`);
    const started = performance.now();
    const ctx = this.#context(stage, pools, options, signal, log);
    let result;
    try {
      result = await stage.step.run(ctx, stage.params as never);
    } catch (err) {
      if (signal.aborted) throw new InterruptedError(`stage '${stage.name}' interrupted; the next run resumes from it`);
      throw new StageError(stage.name, err);
    }
    // A long-running stage (serve) ends normally when asked to stop; any other stage stopped half-way did not finish.
    if (signal.aborted && cacheable) throw new InterruptedError(`stage '${stage.name}' interrupted; the next run resumes from it`);
    const seconds = (performance.now() - started) / 1000;
    if (cacheable && key) {
      const state: StageState = {
        stage: stage.name,
        step: stage.step.name,
        stepVersion: stage.step.version,
        key,
        result: result.result ?? null,
        contentHash: hashValue(result.content ?? result.result ?? null),
        shard,
        outputs: [...(result.outputs ?? [])],
        finishedAt: new Date().toISOString(),
        seconds,
      };
      this.states.write(state);
      this.#memo.clear();
    }
    log.success(`done in ${seconds.toFixed(1)}s`);
    return { stage: stage.name, status: 'ran', seconds };
  }

  #context(stage: StageConfig, pools: ResourcePools, options: RunOptions, signal: AbortSignal, log: Logger): StepContext {
    const reads = new Set((stage.step.reads ?? []).map((s) => s.key));
    fs.mkdirSync(this.paths.outputs, { recursive: true });
    return {
      stage: stage.name,
      pipelineName: this.config.name,
      pipelineFile: this.config.file,
      pipelineHash: this.config.hash,
      paths: this.paths,
      log,
      pools: pools.forResource(stage.resource),
      stores: this.services.stores,
      clock: this.services.clock,
      signal,
      options,
      resource: stage.resource,
      section: <S extends SectionDefinition['schema']>(def: SectionDefinition<S>) => {
        if (!reads.has(def.key)) throw new Error(`step '${stage.step.name}' reads section '${def.key}' without listing it in its 'reads' (the cache would miss changes)`);
        return this.config.sections[def.key] as never;
      },
      input: <R>(step: string): R => {
        const provider = stage.needs[step];
        if (!provider) throw new Error(`step '${stage.step.name}' reads the result of '${step}' without listing it in its 'needs'`);
        const state = this.states.readCombined(provider);
        if (!state) throw new MissingInputError(`stage '${provider}' has no recorded result`);
        return state.result as R;
      },
      resolvePath: (p) => path.resolve(this.config.workdir, p),
      progress: (label, total, unit) => createProgress(this.sink, stage.name, label, total, unit),
    };
  }
}
