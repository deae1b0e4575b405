/**
 * The human report (`outputs/report.md`): what was compared, what was dropped and why, what each architecture's
 * pick scored on the test split, and which model won by which metric. Pure: the caller writes the string.
 */
import type { Candidate, MeanStd } from '../selection/types.ts';
import { baselineSection, calibrationSection, choiceLines, cvVersusTest } from './quality-sections.ts';
import { cell, code, fixed, formatParams, image, plusMinus, table } from './markdown.ts';
import type { Summary } from './summary.ts';

export type ReportOptions = {
  /** Decimals of every metric (default 4). */
  decimals?: number;
  /** Report title (default "Experiment report: <experiment>"). */
  title?: string;
  /** The directory the report is written to: absolute plot paths are made relative to it. */
  reportDir?: string;
};

/** Renders the summary as Markdown. Numbers have `decimals` decimals; missing values read "n/a". */
export function renderReport(summary: Summary, opts: ReportOptions = {}): string {
  const d = opts.decimals ?? 4;
  const sections = [
    header(summary, opts.title),
    winnerSection(summary, d),
    baselineSection(summary, d),
    calibrationSection(summary, d),
    selectionSection(summary, d),
    picksSection(summary, d),
    perClassSection(summary, d),
    plotsSection(summary, opts.reportDir),
  ];
  return `${sections.join('\n\n')}\n`;
}

function header(s: Summary, title?: string): string {
  return [
    `# ${title ?? `Experiment report: ${s.experiment}`}`,
    '',
    `- **Experiment:** ${code(s.experiment)}`,
    `- **Dataset version:** ${code(s.datasetVersion)}`,
    `- **Created:** ${s.createdAt}`,
    `- **Classes:** ${s.classes.length}`,
  ].join('\n');
}

function winnerSection(s: Summary, d: number): string {
  const w = s.winner;
  const direction = w.selectedBy.higherIsBetter ? 'higher is better' : 'lower is better';
  const refit = w.refit
    ? `Refit on the whole training split: **yes** (run ${code(w.runId)}, configuration from fold run ${code(w.sourceRunId)}).`
    : `Refit on the whole training split: **no** (the best fold's model, run ${code(w.sourceRunId)}).`;
  return [
    '## Winner',
    '',
    `**Winner: ${cell(w.architecture)} / ${cell(w.combination)}** (${cell(formatParams(w.params))}) ` +
      `by ${code(w.selectedBy.metric)} = ${fixed(w.selectedBy.value, d)} (${direction}).`,
    '',
    ...choiceLines(s, d).flatMap((l) => [l, '']),
    refit,
    '',
    cvVersusTest(s, d),
  ].join('\n');
}

function selectionSection(s: Summary, d: number): string {
  const sel = s.selection;
  const { maxLossGap, weights } = sel.options;
  const filter = maxLossGap === null ? 'off' : `runs with |train_loss − val_loss| > ${maxLossGap} are dropped`;
  const lines = [
    '## Model selection (validation folds)',
    '',
    `Gap filter: ${filter}. Score = ${weights.accuracy} × norm(mean val_acc) + ${weights.loss} × ` +
      `(1 − norm(mean val_loss)), min-max normalised over all ${sel.candidates.length} candidates ` +
      '(a metric equal for all candidates counts as best for all).',
    '',
    '### Candidates',
    '',
    table(
      ['Rank', 'Architecture', 'Combination', 'Params', 'val_acc (mean ± std)', 'val macro-F1 (mean ± std)', 'val_loss (mean ± std)', 'Score', 'Folds kept'],
      sel.candidates.map((c) => candidateRow(c, s.crossValidation[`${c.architecture}_${c.combination}`]?.macro_f1, d)),
      ['r', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
    '### Dropped runs',
    '',
    sel.dropped.length === 0
      ? 'None.'
      : table(['Run', 'Architecture', 'Combination', 'Fold', 'Reason'],
        sel.dropped.map((r) => [code(r.name), cell(r.architecture), cell(r.combination), String(r.fold), cell(r.reason)])),
  ];
  for (const r of sel.relaxed) lines.push('', `> **Gap filter relaxed for ${cell(r.architecture)}:** ${cell(r.reason)}.`);
  return lines.join('\n');
}

function candidateRow(c: Candidate, macroF1: MeanStd | undefined, d: number): string[] {
  const arch = c.gapFilterRelaxed ? `${cell(c.architecture)} (gap filter relaxed)` : cell(c.architecture);
  return [String(c.rank), arch, cell(c.combination), cell(formatParams(c.params)), plusMinus(c.val_acc, d),
    macroF1 ? plusMinus(macroF1, d) : 'n/a', plusMinus(c.val_loss, d), fixed(c.score, d), `${c.folds.length} (${c.folds.join(', ')})`];
}

function picksSection(s: Summary, d: number): string {
  const rows = s.selection.perArchitecture.map((p) => {
    const e = s.evaluations.find((x) => x.architecture === p.architecture);
    const mark = p.architecture === s.winner.architecture ? ' **(winner)**' : '';
    return [`${cell(p.architecture)}${mark}`, cell(p.combination), fixed(p.score, d), fixed(e?.cv.accuracy, d), code(p.bestRun.name),
      String(p.bestRun.fold), fixed(p.bestRun.final.val_acc, d), fixed(p.bestRun.final.val_loss, d),
      fixed(e?.test.accuracy, d), fixed(e?.test.macro_f1, d), fixed(e?.test.roc_auc_macro, d), fixed(e?.test.log_loss, d)];
  });
  return [
    '## Best configuration per architecture (test split)',
    '',
    table(['Architecture', 'Combination', 'Score', 'CV accuracy', 'Best run', 'Fold', 'val_acc', 'val_loss', 'Test accuracy',
      'Test macro-F1', 'Test ROC AUC (macro)', 'Test log loss'], rows,
    ['l', 'l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
  ].join('\n');
}

function perClassSection(s: Summary, d: number): string {
  return [
    `## Winner per class (test split, ${cell(s.winner.architecture)})`,
    '',
    table(['Class', 'Precision', 'Recall', 'F1', 'Support', 'ROC AUC'],
      s.winner.per_class.map((k) => [cell(k.class), fixed(k.precision, d), fixed(k.recall, d), fixed(k.f1, d),
        String(k.support), fixed(k.roc_auc, d)]),
      ['l', 'r', 'r', 'r', 'r', 'r']),
  ].join('\n');
}

function plotsSection(s: Summary, reportDir?: string): string {
  const lines = ['## Plots', '', '### Confusion matrices (test split)', ''];
  if (s.plots.confusion.length === 0) lines.push('None.');
  for (const p of s.plots.confusion) {
    const who = p.runId === s.winner.runId ? `${p.architecture} (winner)` : p.architecture;
    lines.push(`#### ${cell(who)}`, '', image(`Confusion matrix: ${who}`, p.path, reportDir), '');
  }
  lines.push('### Training curves', '');
  if (s.plots.trainingCurves.length === 0) lines.push('None.');
  for (const p of s.plots.trainingCurves) {
    lines.push(`#### ${cell(p.name)}`, '', image(`Training curves: ${p.name}`, p.path, reportDir), '');
  }
  return lines.join('\n').trimEnd();
}
