/** The per-run PNG: train/val loss and train/val accuracy per epoch, side by side. */
import type { EpochMetrics } from '../training/types.ts';
import { renderVegaLite, type TopLevelSpec } from './render.ts';

export interface CurvesOptions {
  /** Title above the panels, e.g. the run name. */
  readonly title?: string;
  /** Marks the epoch whose weights were kept (early stopping). */
  readonly bestEpoch?: number;
}

type Row = { epoch: number; split: 'train' | 'val'; value: number };

function panel(title: string, rows: Row[], bestEpoch: number | undefined, yDomain?: [number, number]): object {
  const line = {
    mark: { type: 'line', point: { size: 20 } },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title, scale: yDomain ? { domain: yDomain } : { zero: false } },
      color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'val'], range: ['#1f77b4', '#ff7f0e'] } },
    },
  };
  const layers: object[] = [line];
  if (bestEpoch !== undefined) {
    layers.push({ data: { values: [{ epoch: bestEpoch }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x: { field: 'epoch', type: 'quantitative' } } });
  }
  return { title, width: 360, height: 240, data: { values: rows }, layer: layers };
}

/** Vega-Lite spec of the curves (exposed for tests and for the dashboard later). */
export function trainingCurvesSpec(epochs: readonly EpochMetrics[], options: CurvesOptions = {}): TopLevelSpec {
  const rows = (pick: (e: EpochMetrics) => [number, number | undefined]): Row[] =>
    epochs.flatMap((e) => {
      const [train, val] = pick(e);
      const out: Row[] = [{ epoch: e.epoch, split: 'train', value: train }];
      if (val !== undefined) out.push({ epoch: e.epoch, split: 'val', value: val });
      return out.filter((r) => Number.isFinite(r.value));
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'training curves',
    background: 'white',
    hconcat: [
      panel('loss', rows((e) => [e.train_loss, e.val_loss]), options.bestEpoch),
      panel('accuracy', rows((e) => [e.train_acc, e.val_acc]), options.bestEpoch, [0, 1]),
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

/** Writes the curves of one run to `outPath` (PNG). */
export async function renderTrainingCurves(epochs: readonly EpochMetrics[], outPath: string, options: CurvesOptions = {}): Promise<{ width: number; height: number }> {
  if (epochs.length === 0) throw new Error('training curves: no epochs to plot');
  return renderVegaLite(trainingCurvesSpec(epochs, options), outPath);
}
