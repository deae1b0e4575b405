/** The `aggregate` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import fs from 'node:fs';
import path from 'node:path';
import { selectBackend } from '../../ml/backends/select-backend.ts';
import { testMetrics, type ClassificationReport, type TestMetrics } from '../../ml/metrics/classification.ts';
import { renderReport } from '../../ml/report/index.ts';
import type { Summary } from '../../ml/report/summary.ts';
import { wilsonInterval } from '../../ml/monitoring/wilson.ts';
import { select } from '../../ml/selection/select.ts';
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
import { runRequest } from '../train/run-request.ts';
import { reuseFinished } from '../train/track-run.ts';
import type { TrainedRun, TrainResult } from '../train/train-result.ts';
import type { AggregateResult } from './aggregate-result.ts';
import { compareWithBaseline } from './baseline.ts';
import { calibrate } from './calibrate.ts';
import { chooseWinner } from './choose.ts';
import { candidateKey, crossValidate, outOfFold } from './cross-validate.ts';
import { evaluateOnTest, type TestEvaluation } from './evaluate-model.ts';
import type { AggregateParams } from './index.ts';
import { writePlots } from './plots.ts';
import { trainRefit } from './refit.ts';

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
    params: {
      max_loss_gap: String(params.max_loss_gap), winner_by: params.winner_by, refit: params.refit, score_weights: JSON.stringify(params.score_weights),
      baseline: String(params.baseline), calibrate: params.calibrate,
    },
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
    const cv = await crossValidate(tf, selection.candidates, byId, grid.architectures, data);
    const tested = new Map<string, Promise<TestEvaluation>>();
    const testOf = (run: TrainedRun): Promise<TestEvaluation> => {
      if (!tested.has(run.modelDir)) tested.set(run.modelDir, evaluateOnTest(tf, run.modelDir, grid.architectures[run.architecture], data));
      return tested.get(run.modelDir)!;
    };
    const choice = await chooseWinner(selection.perArchitecture, cv, params.winner_by, params.baseline, (p) => testOf(byId.get(p.bestRun.runId)!));
    const chosen = choice.winner;
    ctx.log.info(`chosen by ${choice.selectedBy.metric}${choice.selectedBy.onTest ? ' (on the test split)' : ''}: ${chosen.architecture} ${chosen.combination}`);
    // The test split, for the report only: each architecture's pick (its best fold), once the choice is made.
    const evaluations: (Summary['evaluations'][number] & { report: ClassificationReport })[] = [];
    for (const p of choice.picks) {
      const run = byId.get(p.runId)!;
      const { report } = await testOf(run);
      evaluations.push({ architecture: p.architecture, combination: p.combination, runId: run.runId, cv: p.cv, test: testMetrics(report), per_class: report.per_class, confusion: report.confusion, report });
      ctx.log.info(`${run.name}: cv accuracy ${p.cv.accuracy.toFixed(4)}, test accuracy ${report.accuracy.toFixed(4)}, macro-F1 ${report.macro_f1.toFixed(4)}`);
    }
    const candidateOf = (p: { architecture: string; combination: string }) =>
      selection.candidates.find((c) => c.architecture === p.architecture && c.combination === p.combination)!;
    // The model that goes on to export (the refit when asked), and the baseline's counterpart, on test.
    const finalModel = async (p: { architecture: string; combination: string; runId: string }): Promise<TrainedRun> => {
      if (!params.refit) return byId.get(p.runId)!;
      const c = candidateOf(p);
      return trainRefit(ctx, base, data, parentRunId, c, c.runIds.map((id) => byId.get(id)!));
    };
    const exported = await finalModel(chosen);
    const final = await testOf(exported);
    const report = final.report;
    if (params.refit) ctx.log.info(`${exported.name} on test: accuracy ${report.accuracy.toFixed(4)}, macro-F1 ${report.macro_f1.toFixed(4)}`);
    const winnerTest: TestMetrics = testMetrics(report);
    const baselinePick = choice.picks.find((p) => p.architecture === params.baseline);
    const baselineRun = baselinePick ? (baselinePick === chosen ? exported : await finalModel(baselinePick)) : undefined;
    const calibration = params.calibrate ? calibrate(outOfFold(cv.get(candidateKey(chosen))!), final, split.classes.length) : null;
    if (calibration) {
      ctx.log.info(`temperature ${calibration.temperature.toFixed(3)} (fitted on ${calibration.fittedOn} out-of-fold rows): ` +
        `test ECE ${calibration.ece.before.toFixed(4)} -> ${calibration.ece.after.toFixed(4)}`);
    }
    const plots = await writePlots(
      ctx.paths.outputs,
      [...runs, ...[exported, baselineRun].filter((r): r is TrainedRun => r !== undefined && r.fold === 0)],
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
      crossValidation: Object.fromEntries([...cv].map(([k, v]) => [k, v.metrics])),
      evaluations: evaluations.map(({ report: _r, ...e }) => e),
      winner: {
        architecture: chosen.architecture,
        combination: chosen.combination,
        params: { ...exported.params },
        runId: exported.runId,
        sourceRunId: chosen.runId,
        refit: params.refit,
        selectedBy: choice.selectedBy,
        cv: chosen.cv,
        test: winnerTest,
        testAccuracyInterval: wilsonInterval(Math.round(winnerTest.accuracy * winnerTest.n), winnerTest.n),
        calibration,
        per_class: report.per_class,
        confusion: report.confusion,
      },
      baseline: baselinePick && baselineRun && choice.verdict
        ? compareWithBaseline(baselinePick, baselineRun.runId, testMetrics((await testOf(baselineRun)).report), chosen.cv, winnerTest, choice.verdict)
        : null,
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
      metrics: [
        ...Object.entries(winnerTest).flatMap(([k, v]) => (typeof v === 'number' ? [{ key: `winner.test.${k}`, value: v, step: 0 }] : [])),
        ...Object.entries(chosen.cv).map(([k, v]) => ({ key: `winner.cv.${k}`, value: v, step: 0 })),
        ...(calibration ? [{ key: 'winner.temperature', value: calibration.temperature, step: 0 },
          { key: 'winner.test.ece_before', value: calibration.ece.before, step: 0 }, { key: 'winner.test.ece_after', value: calibration.ece.after, step: 0 }] : []),
      ],
      tags: { winner_architecture: chosen.architecture, winner_combination: chosen.combination, winner_run_id: exported.runId },
    });
    ctx.log.success(
      `winner by ${choice.selectedBy.metric}: ${chosen.architecture} ${chosen.combination}${params.refit ? ' (refit)' : ''}: cv accuracy ${chosen.cv.accuracy.toFixed(4)}, ` +
        `test accuracy ${winnerTest.accuracy.toFixed(4)}, macro-F1 ${winnerTest.macro_f1.toFixed(4)}`,
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
        cv: chosen.cv,
        temperature: calibration?.temperature ?? 1,
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
