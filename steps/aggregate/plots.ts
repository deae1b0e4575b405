/**
 * The report's images under outputs/plots/: each run's training curves (copied from its lasting artifacts) and a
 * confusion matrix per evaluated model. Paths in the summary are relative to outputs/ (where report.md sits).
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderConfusionMatrix } from '../../ml/plots/confusion-matrix.ts';
import type { Plots } from '../../ml/report/summary.ts';
import type { TrainedRun } from '../train/train-result.ts';

export async function writePlots(
  outputs: string,
  runs: readonly TrainedRun[],
  confusions: readonly { architecture: string; runId: string; name: string; matrix: number[][] }[],
  classes: readonly string[],
): Promise<Plots> {
  const dir = path.join(outputs, 'plots');
  fs.mkdirSync(path.join(dir, 'curves'), { recursive: true });
  const trainingCurves = runs
    .filter((r) => fs.existsSync(r.curves))
    .map((r) => {
      const target = path.join(dir, 'curves', `${r.name}.png`);
      fs.copyFileSync(r.curves, target);
      return { runId: r.runId, name: r.name, path: path.relative(outputs, target) };
    });
  const confusion = [];
  for (const c of confusions) {
    const target = path.join(dir, `confusion-${c.name}.png`);
    await renderConfusionMatrix(c.matrix, classes, target, { title: `${c.name}: test confusion matrix` });
    confusion.push({ architecture: c.architecture, runId: c.runId, path: path.relative(outputs, target) });
  }
  return { trainingCurves, confusion };
}
