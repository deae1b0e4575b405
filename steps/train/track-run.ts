/**
 * One training run, tracked: a run record in the tracking store (params, tags, one metric point per epoch as it
 * happens), training in a worker thread through the stage's resource pool, then the model, the curves PNG and
 * their sha256 as artifacts, and the final status. A run that fails or is interrupted is marked so, never left
 * `running` (and a killed process's runs are marked `killed` when the store is next opened).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BackendPreference } from '../../ml/backends/select-backend.ts';
import type { TrainableTail } from '../../ml/onnx/dequantize-tail.ts';
import { renderTrainingCurves } from '../../ml/plots/training-curves.ts';
import { saveTrained } from '../../ml/training/model-io.ts';
import { runInWorker } from '../../ml/training/run-in-worker.ts';
import type { Dataset, EpochMetrics, TrainJob } from '../../ml/training/types.ts';
import type { StepContext } from '../../runner/context.ts';
import { sha256 } from '../../lib/hash.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import type { ArtifactsSection } from '../sections/artifacts.ts';
import { MODEL_FILES_TAG, putRunModel, runModelDir } from './model-store.ts';
import type { TrainedRun } from './train-result.ts';

export interface RunRequest {
  readonly experimentId: number;
  readonly name: string;
  readonly architecture: string;
  readonly entry: ArchitectureEntry;
  readonly combination: string;
  readonly fold: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly configHash: string;
  readonly artifactDir: string;
  readonly backend: BackendPreference;
  readonly numClasses: number;
  readonly train: Dataset;
  readonly val?: Dataset;
  readonly inputDim?: number;
  readonly inputShape?: readonly [number, number, number];
  readonly backboneTail?: TrainableTail;
  readonly parentRunId?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Where the run's model files go (so another workdir can fetch them: shards on other machines). */
  readonly artifacts: ArtifactsSection;
}

function points(e: EpochMetrics): { key: string; value: number; step: number }[] {
  const keys = ['train_loss', 'train_acc', 'val_loss', 'val_acc'] as const;
  return keys.flatMap((key) => (e[key] === undefined ? [] : [{ key, value: e[key]!, step: e.epoch }]));
}

/** Params as the tracking store keeps them: scalars, objects as JSON. */
function flatParams(r: RunRequest): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { architecture: r.architecture, family: r.entry.family, fold: r.fold };
  for (const [k, v] of Object.entries(r.params)) out[k] = typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
  out.architecture_spec = JSON.stringify(r.entry);
  return out;
}

/** Callbacks for progress reporting while a run trains. */
export interface TrainHooks {
  readonly onEpoch?: (e: EpochMetrics) => void;
  readonly onBackend?: (backend: { name: string; detail: string }) => void;
}

/**
 * Per-epoch metric writes arrive in the worker's message handler, which cannot await: they are chained per run
 * (in order, one at a time) and `settle()` waits for the chain before the run is ended. A failed write is kept
 * and reported then, so it is never silently lost.
 */
function metricChain(write: (e: EpochMetrics) => Promise<void>) {
  let tail: Promise<void> = Promise.resolve();
  let failure: unknown;
  return {
    push(e: EpochMetrics): void {
      tail = tail.then(() => write(e)).catch((err: unknown) => { failure ??= err; });
    },
    async settle(): Promise<void> {
      await tail;
      if (failure) throw failure;
    },
  };
}

export async function trainTracked(ctx: StepContext, r: RunRequest, hooks: TrainHooks = {}): Promise<TrainedRun> {
  const tracking = ctx.stores.tracking;
  const job: TrainJob = {
    family: r.entry.family,
    spec: r.entry,
    hyper: r.params as TrainJob['hyper'],
    backend: r.backend,
    numClasses: r.numClasses,
    train: r.train,
    val: r.val,
    inputDim: r.inputDim,
    inputShape: r.inputShape,
    backboneTail: r.backboneTail,
  };
  // The run is recorded when its turn in the pool comes, not when it is queued: runs still waiting when the
  // stage is interrupted never started, so they are not recorded (as killed or otherwise).
  return ctx.pools.run(async () => {
    ctx.signal.throwIfAborted();
    const runId = await tracking.startRun({
      experimentId: r.experimentId,
      name: r.name,
      params: flatParams(r),
      parentRunId: r.parentRunId,
      tags: { fold: String(r.fold), architecture: r.architecture, combination: r.combination, family: r.entry.family, config_hash: r.configHash, ...r.tags },
    });
    const metrics = metricChain((e) => tracking.logMetrics(runId, points(e)));
    try {
      const result = await runInWorker(job, {
        signal: ctx.signal,
        onEpoch: (e) => {
          metrics.push(e);
          hooks.onEpoch?.(e);
        },
        onBackend: hooks.onBackend,
      });
      await metrics.settle();
      const modelDir = path.join(r.artifactDir, 'model');
      const curves = path.join(r.artifactDir, 'curves.png');
      await saveTrained(modelDir, result.artifacts, { family: r.entry.family, spec: r.entry, numClasses: r.numClasses, inputDim: r.inputDim, inputShape: r.inputShape });
      await renderTrainingCurves(result.epochs, curves, { title: r.name, bestEpoch: result.bestEpoch });
      for (const file of [path.join(modelDir, 'model.json'), path.join(modelDir, 'weights.bin'), curves]) {
        const bytes = fs.readFileSync(file);
        await tracking.logArtifact(runId, { path: file, sha256: sha256(bytes), size: bytes.length });
      }
      const modelFiles = await putRunModel(ctx, r.artifacts, modelDir);
      const best = result.epochs[result.bestEpoch - 1];
      await tracking.endRun(runId, 'finished', {
        metrics: [{ key: 'train_time_sec', value: result.trainTimeSec, step: result.epochs.length }],
        tags: { backend: result.backend.name, best_epoch: String(result.bestEpoch), stopped_early: String(result.stoppedEarly), [MODEL_FILES_TAG]: modelFiles },
      });
      ctx.log.debug(`${r.name}: backend ${result.backend.name} (${result.backend.detail})`);
      return {
        name: r.name,
        runId,
        architecture: r.architecture,
        family: r.entry.family,
        combination: r.combination,
        fold: r.fold,
        params: r.params,
        final: { train_loss: best.train_loss, train_acc: best.train_acc, val_loss: best.val_loss ?? NaN, val_acc: best.val_acc ?? NaN },
        bestEpoch: result.bestEpoch,
        epochs: result.epochs.length,
        trainTimeSec: result.trainTimeSec,
        backend: result.backend.name,
        modelDir,
        curves,
        reused: false,
      };
    } catch (err) {
      // Metrics already in flight are written before the final status (a failed chain is reported by `err`).
      await metrics.settle().catch(() => {});
      await tracking.endRun(runId, ctx.signal.aborted ? 'killed' : 'failed', { error: (err as Error).message });
      throw err;
    }
  });
}

/**
 * A finished run with the same configuration hash, rebuilt from the tracking store, if its model is on disk or
 * can be fetched from the artifact store (it may have been trained in another workdir): reused instead of trained
 * again.
 */
export async function reuseFinished(ctx: StepContext, r: Omit<RunRequest, 'train' | 'val'>): Promise<TrainedRun | undefined> {
  const found = await ctx.stores.tracking.findFinishedRun(r.experimentId, r.name, r.configHash);
  if (!found) return undefined;
  const modelDir = await runModelDir(ctx, r.artifacts, path.join(r.artifactDir, 'model'), found.tags);
  if (!modelDir) return undefined;
  const bestEpoch = Number(found.tags.best_epoch ?? 0);
  const at = (key: string): number => found.series[key]?.find((m) => m.step === bestEpoch)?.value ?? NaN;
  return {
    name: r.name,
    runId: found.runId,
    architecture: r.architecture,
    family: r.entry.family,
    combination: r.combination,
    fold: r.fold,
    params: r.params,
    final: { train_loss: at('train_loss'), train_acc: at('train_acc'), val_loss: at('val_loss'), val_acc: at('val_acc') },
    bestEpoch,
    epochs: found.series.train_loss?.length ?? 0,
    trainTimeSec: found.metrics.train_time_sec?.value ?? 0,
    backend: found.tags.backend ?? 'unknown',
    modelDir,
    curves: path.join(r.artifactDir, 'curves.png'),
    reused: true,
  };
}
