/**
 * The report's honesty sections: how the winner was chosen (CV or test), its CV mean ± std next to its test score
 * with a confidence interval, its calibration, and its margin over the baseline.
 */
import { cell, code, fixed, plusMinus, table } from './markdown.ts';
import type { Summary } from './summary.ts';

const signed = (v: number, d: number): string => `${v > 0 ? '+' : ''}${fixed(v, d)}`;
const cvOf = (s: Summary, p: { architecture: string; combination: string }) => s.crossValidation[`${p.architecture}_${p.combination}`];

/** How the winner was chosen, in words: a warning when the test split chose it. */
export function choiceLines(s: Summary, d: number): string[] {
  const { selectedBy: by } = s.winner;
  const lines: string[] = [];
  if (by.baselineRule && s.baseline) {
    const v = s.baseline.verdict;
    lines.push(`The pick did not beat the baseline ${cell(v.architecture)} on ${code(v.metric)} ` +
      `(${fixed(v.winnerValue, d)} vs ${fixed(v.baselineValue, d)}, ties go to the baseline): **the baseline wins**.`);
  }
  lines.push(by.onTest
    ? `> **Selected on the test split** (${code(by.metric)}): the test scores below chose the winner, so they are optimistic. ` +
      'Use a `cv.*` metric for `aggregate.winner_by` to choose on the validation folds only.'
    : `Chosen on the validation folds (${code(by.metric)}); the test split was evaluated only after the choice.`);
  return lines;
}

/** Cross-validation mean ± std next to the test score; the 95% Wilson interval of the test accuracy. */
export function cvVersusTest(s: Summary, d: number): string {
  const w = s.winner, t = w.test, cv = cvOf(s, w), ci = w.testAccuracyInterval;
  const interval = `[${fixed(ci.lower, d)}, ${fixed(ci.upper, d)}]`;
  return table(['Metric', `CV (mean ± std, ${cv?.folds ?? 0} folds)`, 'Test', 'Test 95% interval (Wilson)'], [
    ['accuracy', cv ? plusMinus(cv.accuracy, d) : 'n/a', fixed(t.accuracy, d), interval],
    ['macro F1', cv ? plusMinus(cv.macro_f1, d) : 'n/a', fixed(t.macro_f1, d), ''],
    ['log loss', cv ? plusMinus(cv.log_loss, d) : 'n/a', fixed(t.log_loss, d), ''],
    ['top-5 accuracy', '', fixed(t.top5_accuracy, d), ''],
    ['macro precision', '', fixed(t.macro_precision, d), ''],
    ['macro recall', '', fixed(t.macro_recall, d), ''],
    ['ROC AUC (macro, one-vs-rest)', '', fixed(t.roc_auc_macro, d), ''],
    ['test images', '', String(t.n), ''],
  ], ['l', 'r', 'r', 'r']);
}

export function calibrationSection(s: Summary, d: number): string {
  const c = s.winner.calibration;
  if (!c) return '## Calibration\n\nOff (`aggregate.calibrate: false`): served probabilities are the raw softmax.';
  return [
    '## Calibration',
    '',
    `Temperature T = ${fixed(c.temperature, d)}, fitted on ${c.fittedOn} out-of-fold validation predictions and folded into ` +
      'the exported model (its logits are divided by T, so `prob` in `/predict` is the calibrated probability).',
    '',
    table(['On test', 'Before (T = 1)', `After (T = ${fixed(c.temperature, 3)})`], [
      [`expected calibration error (${c.bins} bins)`, fixed(c.ece.before, d), fixed(c.ece.after, d)],
      ['log loss (NLL)', fixed(c.nll.before, d), fixed(c.nll.after, d)],
    ], ['l', 'r', 'r']),
  ].join('\n');
}

export function baselineSection(s: Summary, d: number): string {
  const b = s.baseline;
  if (!b) return '## Baseline\n\nNone configured (`aggregate.baseline`).';
  const w = s.winner;
  const row = (name: string, p: { architecture: string; combination: string }, test: { accuracy: number; macro_f1: number }) => {
    const cv = cvOf(s, p);
    return [name, cv ? plusMinus(cv.accuracy, d) : 'n/a', cv ? plusMinus(cv.macro_f1, d) : 'n/a', fixed(test.accuracy, d), fixed(test.macro_f1, d)];
  };
  const header = ['', 'CV accuracy', 'CV macro F1', 'Test accuracy', 'Test macro F1'];
  const align: ('l' | 'r')[] = ['l', 'r', 'r', 'r', 'r'];
  if (b.architecture !== w.architecture) {
    return [
      `## Margin over the baseline (${cell(b.architecture)})`,
      '',
      `Winner ${cell(w.architecture)} / ${cell(w.combination)} against ${cell(b.architecture)} / ${cell(b.combination)} (test: run ${code(b.runId)}).`,
      '',
      table(header, [
        row(`${cell(w.architecture)} (winner)`, w, w.test),
        row(cell(b.architecture), b, b.test),
        ['margin', signed(b.margin.cv_accuracy, d), signed(b.margin.cv_macro_f1, d), signed(b.margin.test_accuracy, d), signed(b.margin.test_macro_f1, d)],
      ], align),
    ].join('\n');
  }
  // The baseline won: show by how much it beat each other architecture's pick (their best fold on test).
  const others = s.evaluations.filter((e) => e.architecture !== b.architecture);
  return [
    `## Margin over the baseline (${cell(b.architecture)})`,
    '',
    `The baseline ${cell(b.architecture)} / ${cell(b.combination)} is the winner: no other architecture beat it on CV. ` +
      'Below, each other architecture\'s pick (test: its best fold) and the baseline\'s lead over it.',
    '',
    table(header, [
      row(`${cell(b.architecture)} (winner)`, w, w.test),
      ...others.flatMap((e) => [
        row(cell(e.architecture), e, e.test),
        [`lead over ${cell(e.architecture)}`, signed(w.cv.accuracy - e.cv.accuracy, d), signed(w.cv.macro_f1 - e.cv.macro_f1, d),
          signed(w.test.accuracy - e.test.accuracy, d), signed(w.test.macro_f1 - e.test.macro_f1, d)],
      ]),
    ], align),
  ].join('\n');
}
