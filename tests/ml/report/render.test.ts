import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, testMetrics } from '../../../ml/metrics/classification.ts';
import { wilsonInterval } from '../../../ml/monitoring/wilson.ts';
import { cvMeans } from '../../../ml/selection/cv-metrics.ts';
import { pickWinner, select, type RunRecord } from '../../../ml/selection/select.ts';
import { renderReport } from '../../../ml/report/render.ts';
import { summaryMetric, type Summary } from '../../../ml/report/summary.ts';

function run(architecture: string, combination: string, fold: number, val_acc: number, val_loss: number, train_loss = val_loss): RunRecord {
  const name = `${architecture}_${combination}_fold${fold}`;
  return { runId: `id-${name}`, name, architecture, combination, fold, params: { lr: 0.001, epochs: 30 },
    final: { train_loss, train_acc: val_acc, val_loss, val_acc } };
}

/** Two architectures, mlp wins; the same hand-checked 3-class test set as in the metrics tests. */
function sampleSummary(): Summary {
  const classes = ['apple_pie', 'pizza', 'sushi'];
  const selection = select([
    run('mlp', 'c1', 0, 0.8, 0.5), run('mlp', 'c1', 1, 0.9, 0.7),
    run('linear', 'c1', 0, 0.6, 0.9), run('linear', 'c1', 1, 0.7, 0.5, 0.1), // gap 0.4 -> dropped
  ]);
  // row y: 0 0 1 2 -> predicted 0 1 1 1; see tests/ml/metrics/classification.test.ts for the arithmetic
  const mlp = evaluate({ probabilities: [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.6, 0.3, 0.3, 0.4, 0.3], y: [0, 0, 1, 2], classes });
  // linear predicts apple_pie everywhere: macro F1 = (2*2/(2+4) + 0 + 0) / 3 = 2/9, below mlp's 7/18
  const lin = evaluate({ probabilities: [0.4, 0.3, 0.3, 0.4, 0.3, 0.3, 0.4, 0.3, 0.3, 0.4, 0.3, 0.3], y: [0, 0, 1, 2], classes });
  const cvMlp = { accuracy: { mean: 0.85, std: 0.0707 }, macro_f1: { mean: 0.8, std: 0.05 }, log_loss: { mean: 0.6, std: 0.1414 }, folds: 2 };
  const cvLin = { accuracy: { mean: 0.6, std: 0 }, macro_f1: { mean: 0.55, std: 0 }, log_loss: { mean: 0.9, std: 0 }, folds: 1 };
  const evaluations = [
    { architecture: 'mlp', combination: 'c1', runId: 'id-mlp_c1_fold1', cv: cvMeans(cvMlp), test: testMetrics(mlp), per_class: mlp.per_class, confusion: mlp.confusion },
    { architecture: 'linear', combination: 'c1', runId: 'id-linear_c1_fold0', cv: cvMeans(cvLin), test: testMetrics(lin), per_class: lin.per_class, confusion: lin.confusion },
  ];
  return {
    experiment: 'food101-mini_3c_tr75_te25_abcd1234',
    datasetVersion: 'food101-mini_3c_tr75_te25_abcd1234',
    createdAt: '2025-01-02T03:04:05.000Z',
    classes,
    selection,
    crossValidation: { mlp_c1: cvMlp, linear_c1: cvLin },
    evaluations,
    winner: {
      architecture: 'mlp', combination: 'c1', params: { lr: 0.001, epochs: 30 }, runId: 'id-refit', sourceRunId: 'id-mlp_c1_fold1',
      refit: true, selectedBy: { metric: 'test.macro_f1', higherIsBetter: true, value: mlp.macro_f1, onTest: true, baselineRule: false },
      cv: cvMeans(cvMlp), test: testMetrics(mlp), testAccuracyInterval: wilsonInterval(2, 4),
      calibration: { temperature: 1.5, fittedOn: 3, bins: 15, ece: { before: 0.25, after: 0.125 }, nll: { before: 0.92, after: 0.9 } },
      per_class: mlp.per_class, confusion: mlp.confusion,
    },
    baseline: {
      architecture: 'linear', combination: 'c1', runId: 'id-linear_refit', cv: cvMeans(cvLin), test: testMetrics(lin),
      margin: { cv_accuracy: 0.25, cv_macro_f1: 0.25, test_accuracy: 0, test_macro_f1: 7 / 18 - 2 / 9 },
      verdict: { architecture: 'linear', metric: 'cv.macro_f1', winnerValue: 0.8, baselineValue: 0.55, margin: 0.25, baselineWon: false },
    },
    plots: {
      trainingCurves: [{ runId: 'id-mlp_c1_fold0', name: 'mlp_c1_fold0', path: 'plots/curves/mlp_c1_fold0.png' }],
      confusion: [{ architecture: 'mlp', runId: 'id-refit', path: 'plots/confusion mlp.png' }],
    },
  };
}

test('the report shows the key lines with 4-decimal numbers', () => {
  const md = renderReport(sampleSummary());
  const lines = md.split('\n');
  const has = (line: string) => assert.ok(lines.includes(line), `missing line:\n${line}\n--- in ---\n${md}`);

  has('# Experiment report: food101-mini_3c_tr75_te25_abcd1234');
  has('- **Dataset version:** `food101-mini_3c_tr75_te25_abcd1234`');
  // macro F1 = (2/3 + 1/2 + 0) / 3 = 7/18 = 0.38888...
  has('**Winner: mlp / c1** (lr=0.001, epochs=30) by `test.macro_f1` = 0.3889 (higher is better).');
  has('Refit on the whole training split: **yes** (run `id-refit`, configuration from fold run `id-mlp_c1_fold1`).');
  has('| ROC AUC (macro, one-vs-rest) |  | 0.8056 |  |'); // 29/36
  // CV next to test; Wilson 95% for 2 of 4: centre (0.5 + z^2/8) / (1 + z^2/4) = 0.5, half-width 0.3504
  has('| accuracy | 0.8500 ± 0.0707 | 0.5000 | [0.1500, 0.8500] |');
  has('| log loss | 0.6000 ± 0.1414 | 0.9202 |  |'); // -(ln .7 + ln .2 + ln .6 + ln .3)/4
  assert.match(md, /> \*\*Selected on the test split\*\* \(`test.macro_f1`\): the test scores below chose the winner/);
  has('| expected calibration error (15 bins) | 0.2500 | 0.1250 |');
  has('| margin | +0.2500 | +0.2500 | 0.0000 | +0.1667 |');
  has('| Rank | Architecture | Combination | Params | val_acc (mean ± std) | val macro-F1 (mean ± std) | val_loss (mean ± std) | Score | Folds kept |');

  // mlp: acc 0.8, 0.9 -> 0.85 ± sqrt(0.005) = 0.0707; loss 0.5, 0.7 -> 0.6 ± 0.1414
  // linear keeps fold 0 only: acc 0.6, loss 0.9. norm: mlp acc 1, loss 0 -> score 1; linear 0
  has('| 1 | mlp | c1 | lr=0.001, epochs=30 | 0.8500 ± 0.0707 | 0.8000 ± 0.0500 | 0.6000 ± 0.1414 | 1.0000 | 2 (0, 1) |');
  has('| 2 | linear | c1 | lr=0.001, epochs=30 | 0.6000 ± 0.0000 | 0.5500 ± 0.0000 | 0.9000 ± 0.0000 | 0.0000 | 1 (0) |');
  has('| `linear_c1_fold1` | linear | c1 | 1 | \\|train_loss - val_loss\\| = 0.4000 > max_loss_gap 0.25 |');

  // per architecture: mlp's best fold is fold 1 (val_acc 0.9); its test accuracy 0.5
  has('| mlp **(winner)** | c1 | 1.0000 | 0.8500 | `mlp_c1_fold1` | 1 | 0.9000 | 0.7000 | 0.5000 | 0.3889 | 0.8056 | 0.9202 |');

  has('| Class | Precision | Recall | F1 | Support | ROC AUC |');
  // pizza: P 1/3, R 1, F1 1/2, support 1, AUC 1; sushi: never predicted, AUC 2/3
  has('| pizza | 0.3333 | 1.0000 | 0.5000 | 1 | 1.0000 |');
  has('| sushi | 0.0000 | 0.0000 | 0.0000 | 1 | 0.6667 |');

  has('![Confusion matrix: mlp (winner)](plots/confusion%20mlp.png)');
  has('![Training curves: mlp_c1_fold0](plots/curves/mlp_c1_fold0.png)');
});

test('no refit, no dropped runs, a relaxed architecture, a null AUC and absolute plot paths', () => {
  const s = sampleSummary();
  s.winner.refit = false;
  s.winner.runId = s.winner.sourceRunId;
  s.winner.test.roc_auc_macro = null;
  s.selection = select([run('mlp', 'c1', 0, 0.8, 0.9, 0.1)]);
  s.plots.trainingCurves = [{ runId: 'x', name: 'mlp_c1_fold0', path: '/out/plots/mlp_c1_fold0.png' }];
  const md = renderReport(s, { reportDir: '/out' });
  assert.match(md, /Refit on the whole training split: \*\*no\*\* \(the best fold's model, run `id-mlp_c1_fold1`\)\./);
  assert.match(md, /### Dropped runs\n\nNone\./);
  assert.match(md, /\| 1 \| mlp \(gap filter relaxed\) \|/);
  assert.match(md, /> \*\*Gap filter relaxed for mlp:\*\* its only run exceeds max_loss_gap 0\.25/);
  assert.match(md, /\| ROC AUC \(macro, one-vs-rest\) \|  \| n\/a \|/);
  assert.match(md, /!\[Training curves: mlp_c1_fold0\]\(plots\/mlp_c1_fold0\.png\)/);
});

test('a CV choice says the test split did not choose; a baseline win and calibration off are spelled out', () => {
  const s = sampleSummary();
  s.winner.selectedBy = { metric: 'cv.accuracy', higherIsBetter: true, value: 0.85, onTest: false, baselineRule: false };
  let md = renderReport(s);
  assert.match(md, /Chosen on the validation folds \(`cv.accuracy`\); the test split was evaluated only after the choice\./);
  assert.doesNotMatch(md, /Selected on the test split/);
  s.winner.selectedBy = { metric: 'cv.accuracy', higherIsBetter: true, value: 0.6, onTest: false, baselineRule: true };
  s.baseline!.verdict = { architecture: 'linear', metric: 'cv.accuracy', winnerValue: 0.6, baselineValue: 0.6, margin: 0, baselineWon: true };
  s.winner.calibration = null;
  md = renderReport(s);
  assert.match(md, /The pick did not beat the baseline linear on `cv.accuracy` \(0.6000 vs 0.6000, ties go to the baseline\): \*\*the baseline wins\*\*/);
  assert.match(md, /## Calibration\n\nOff \(`aggregate.calibrate: false`\)/);
  // the baseline as the winner: its lead over the other architecture's pick (mlp: cv 0.85, test 0.5)
  s.winner = { ...s.winner, architecture: 'linear', cv: s.baseline!.cv, test: s.baseline!.test };
  md = renderReport(s);
  assert.match(md, /The baseline linear \/ c1 is the winner: no other architecture beat it on CV\./);
  assert.ok(md.split('\n').includes('| lead over mlp | -0.2500 | -0.2500 | 0.0000 | -0.1667 |'), md);
});

test('the summary is clean JSON and metric names address winner.test', () => {
  const s = sampleSummary();
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  assert.equal(summaryMetric(s, 'test.accuracy'), 0.5);
  // the summary's evaluations feed pickWinner as they are (TestMetrics fits its `test` record)
  const pick = pickWinner(s.evaluations, s.winner.selectedBy.metric);
  assert.deepEqual([pick.winner.architecture, pick.winner.confusion.length], ['mlp', 3]);
  assert.throws(() => summaryMetric(s, 'accuracy'), /unknown metric "accuracy"; available: test.accuracy, test.top5_accuracy/);
});
