/** The `aggregate` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import fs from 'node:fs';
import path from 'node:path';
import { selectBackend } from '../../ml/backends/select-backend.ts';
import { testMetrics, type ClassificationReport, type TestMetrics } from '../../ml/metrics/classification.ts';
import { renderReport } from '../../ml/report/index.ts';
import type { Summary } from '../../ml/report/summary.ts';
import { pickWinner, select } from '../../ml/selection/select.ts';
import type { StepContext } from '../../runner/context.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../lib/fs-atomic.ts';
import { sha256 } from '../../lib/hash.ts';
import { MissingInputError } from '../../runner/errors.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import type { GridResult } from '../grid/grid-result.ts';
import type { SplitResult } from '../split/split-result.ts';
import { TrainingData } from '../train/datasets.ts';
import { tapDataFor } from '../train/tap-data.ts';
import { modelContentHash } from '../train/model-content.ts';
import { runData, runRequest } from '../train/run-request.ts';
import { reuseFinished, trainTracked } from '../train/track-run.ts';
import { TrainProgress } from '../train/train-progress.ts';
import type { TrainedRun, TrainResult } from '../train/train-result.ts';
import type { AggregateResult } from './aggregate-result.ts';
import { evaluateOnTest } from './evaluate-model.ts';
import type { AggregateParams } from './index.ts';
import { writePlots } from './plots.ts';
import { refitRun } from './refit.ts';

async function finishedRuns(ctx: StepContext, grid: GridResult, base: Omit<Parameters<typeof runRequest>[1], 'run'>): Promise<TrainedRun[]> {
  const runs: TrainedRun[] = [];
  const missing: string[] = [];
  for (const run of grid.runs) {
    const found = await reuseFinished(ctx, runRequest(ctx, { ...base, run }));
    if (found) runs.push(found);
    else missing.push(run.name);
  }
  if (missing.length) {
    throw new MissingInputError(
      `cannot aggregate: ${missing.length} of ${grid.runs.length} runs of the grid are not trained yet (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}). ` +
        'Run the missing shards (`pipeline run <file> --only train --shard i/n`), or train without --shard, then aggregate',
    );
  }
  return runs;
}

export async function runAggregate(ctx: StepContext, params: AggregateParams) {
  const split = ctx.input<SplitResult>('split');
  const features = ctx.input<FeaturesResult>('features');
  const grid = ctx.input<GridResult>('grid');
  const trained = ctx.input<TrainResult>('train');
  const base = { experimentId: trained.experimentId, experiment: split.experiment, split, features, grid, backend: params.backend };
  // Read from the tracking store, not the train stage's result: with --shard, each shard trained only its part.
  const runs = await finishedRuns(ctx, grid, base);
  const selection = select(
    runs.map((r) => ({ runId: r.runId, name: r.name, architecture: r.architecture, combination: r.combination, params: { ...r.params }, fold: r.fold, final: r.final })),
    { maxLossGap: params.max_loss_gap, weights: { accuracy: params.score_weights.accuracy, loss: params.score_weights.loss } },
  );
  for (const d of selection.dropped) ctx.log.info(`dropped ${d.name}: ${d.reason}`);
  for (const r of selection.relaxed) ctx.log.warn(`${r.architecture}: ${r.reason}`);

  const tracking = ctx.stores.tracking;
  const parentRunId = await tracking.startRun({
    experimentId: trained.experimentId,
    name: `selection_${split.datasetVersion.slice(-8)}`,
    params: { max_loss_gap: String(params.max_loss_gap), winner_by: params.winner_by, refit: params.refit, score_weights: JSON.stringify(params.score_weights) },
    tags: { kind: 'selection', dataset_version: split.datasetVersion },
  });
  try {
    await tracking.logMetrics(
      parentRunId,
      selection.candidates.flatMap((c) =>
        (['val_acc', 'val_loss', 'train_acc', 'train_loss'] as const).flatMap((k) => [
          { key: `${c.architecture}_${c.combination}.${k}_mean`, value: c[k].mean, step: 0 },
          { key: `${c.architecture}_${c.combination}.${k}_std`, value: c[k].std, step: 0 },
        ]).concat([{ key: `${c.architecture}_${c.combination}.score`, value: c.score, step: 0 }]),
      ),
    );
    const { tf } = await selectBackend('auto', { convTraining: false });
    const data = new TrainingData(split, features, ctx.stores, tapDataFor(ctx, split, features));
    const byId = new Map(runs.map((r) => [r.runId, r]));
    const evaluations: (Summary['evaluations'][number] & { report: ClassificationReport })[] = [];
    for (const pick of selection.perArchitecture) {
      const run = byId.get(pick.bestRun.runId)!;
      const report = await evaluateOnTest(tf, run.modelDir, grid.architectures[pick.architecture], data);
      evaluations.push({ architecture: pick.architecture, combination: pick.combination, runId: run.runId, test: testMetrics(report), per_class: report.per_class, confusion: report.confusion, report });
      ctx.log.info(`${run.name} on test: accuracy ${report.accuracy.toFixed(4)}, macro-F1 ${report.macro_f1.toFixed(4)}`);
    }
    const pick = pickWinner(evaluations, params.winner_by);
    const chosen = pick.winner;
    const candidate = selection.candidates.find((c) => c.architecture === chosen.architecture && c.combination === chosen.combination)!;
    let exported: TrainedRun = byId.get(chosen.runId)!;
    let report = chosen.report;
    if (params.refit) {
      const run = refitRun({ architecture: chosen.architecture, combination: chosen.combination, params: candidate.params }, candidate.runIds.map((id) => byId.get(id)!));
      const request = { ...runRequest(ctx, { ...base, run }), parentRunId };
      const reused = await reuseFinished(ctx, request);
      if (!reused) ctx.log.info(`refitting ${chosen.architecture} ${chosen.combination} on the whole training split (${run.params.epochs} epochs)`);
      if (reused) exported = reused;
      else {
        const epochs = Number(run.params.epochs) || 1;
        const progress = new TrainProgress(ctx, 1, [{ name: run.name, epochs }]);
        const hooks = progress.hooks(run.name, epochs);
        exported = await trainTracked(ctx, { ...request, ...(await runData(data, request.entry, 0)) }, hooks);
        hooks.finished();
        progress.done();
      }
      report = await evaluateOnTest(tf, exported.modelDir, grid.architectures[chosen.architecture], data);
      ctx.log.info(`${exported.name} on test: accuracy ${report.accuracy.toFixed(4)}, macro-F1 ${report.macro_f1.toFixed(4)}`);
    }
    const winnerTest: TestMetrics = testMetrics(report);
    const plots = await writePlots(
      ctx.paths.outputs,
      [...runs, ...(exported.fold === 0 ? [exported] : [])],
      [...evaluations.map((e) => ({ architecture: e.architecture, runId: e.runId, name: byId.get(e.runId)!.name, matrix: e.confusion })),
        ...(params.refit ? [{ architecture: chosen.architecture, runId: exported.runId, name: exported.name, matrix: report.confusion }] : [])],
      split.classes,
    );
    const summary: Summary = {
      experiment: split.experiment,
      datasetVersion: split.datasetVersion,
      createdAt: new Date().toISOString(),
      classes: [...split.classes],
      selection,
      evaluations: evaluations.map(({ report: _r, ...e }) => e),
      winner: {
        architecture: chosen.architecture,
        combination: chosen.combination,
        params: { ...exported.params },
        runId: exported.runId,
        sourceRunId: chosen.runId,
        refit: params.refit,
        selectedBy: { metric: params.winner_by, higherIsBetter: pick.higherIsBetter, value: pick.value },
        test: winnerTest,
        per_class: report.per_class,
        confusion: report.confusion,
      },
      plots,
    };
    const summaryFile = path.join(ctx.paths.outputs, 'metrics', 'summary.json');
    const reportFile = path.join(ctx.paths.outputs, 'report.md');
    writeJsonAtomic(summaryFile, summary);
    writeFileAtomic(reportFile, renderReport(summary, { reportDir: ctx.paths.outputs }));
    for (const file of [summaryFile, reportFile]) {
      const bytes = fs.readFileSync(file);
      await tracking.logArtifact(parentRunId, { path: file, sha256: sha256(bytes), size: bytes.length });
    }
    await tracking.endRun(parentRunId, 'finished', {
      metrics: Object.entries(winnerTest).flatMap(([k, v]) => (typeof v === 'number' ? [{ key: `winner.test.${k}`, value: v, step: 0 }] : [])),
      tags: { winner_architecture: chosen.architecture, winner_combination: chosen.combination, winner_run_id: exported.runId },
    });
    ctx.log.success(
      `winner by ${params.winner_by}: ${chosen.architecture} ${chosen.combination}${params.refit ? ' (refit)' : ''}: test accuracy ${winnerTest.accuracy.toFixed(4)}, macro-F1 ${winnerTest.macro_f1.toFixed(4)}`,
    );
    const result: AggregateResult = {
      experiment: split.experiment,
      summaryFile,
      reportFile,
      parentRunId,
      winner: {
        architecture: chosen.architecture,
        entry: grid.architectures[chosen.architecture],
        combination: chosen.combination,
        params: exported.params,
        runId: exported.runId,
        modelDir: exported.modelDir,
        refit: params.refit,
        test: winnerTest,
      },
    };
    // Content: the winner and its weights; not the selection run's id, the report's time stamp or paths.
    const { runId: _runId, modelDir: _modelDir, ...winner } = result.winner;
    const content = { experiment: split.experiment, winner: { ...winner, model: modelContentHash(exported.modelDir) } };
    return { result, content, outputs: [summaryFile, reportFile, exported.modelDir] };
  } catch (err) {
    await tracking.endRun(parentRunId, ctx.signal.aborted ? 'killed' : 'failed', { error: (err as Error).message });
    throw err;
  }
}
