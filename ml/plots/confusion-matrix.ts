/** A confusion-matrix heatmap: true class down, predicted class across, counts in the cells. */
import { renderVegaLite, type TopLevelSpec } from './render.ts';

export interface ConfusionOptions {
  readonly title?: string;
}

/** `matrix[t][p]` counts samples of true class t predicted as p. */
export function confusionMatrixSpec(matrix: readonly (readonly number[])[], classNames: readonly string[], options: ConfusionOptions = {}): TopLevelSpec {
  const c = classNames.length;
  if (matrix.length !== c || matrix.some((row) => row.length !== c)) {
    throw new Error(`confusion matrix: expected ${c} x ${c} counts for ${c} class names`);
  }
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ actual: classNames[t], predicted: classNames[p], count })));
  const max = Math.max(1, ...values.map((v) => v.count));
  // Cells shrink as classes grow so 101 classes still fit; counts are printed while they stay legible.
  const cell = Math.max(8, Math.min(40, Math.floor(640 / c)));
  const order = [...classNames];
  const layers: object[] = [
    {
      mark: 'rect',
      encoding: { color: { field: 'count', type: 'quantitative', title: 'count', scale: { scheme: 'blues', domain: [0, max] } } },
    },
  ];
  if (cell >= 18) {
    layers.push({
      mark: { type: 'text', fontSize: Math.min(12, cell / 2.5) },
      encoding: {
        text: { field: 'count', type: 'quantitative' },
        color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'confusion matrix',
    background: 'white',
    data: { values },
    width: cell * c,
    height: cell * c,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted', axis: { labelAngle: -45, labelFontSize: Math.min(11, cell * 0.8), labelLimit: 120 } },
      y: { field: 'actual', type: 'nominal', sort: order, title: 'true class', axis: { labelFontSize: Math.min(11, cell * 0.8), labelLimit: 120 } },
    },
    layer: layers,
  } as TopLevelSpec;
}

/** Writes the heatmap to `outPath` (PNG). */
export async function renderConfusionMatrix(
  matrix: readonly (readonly number[])[],
  classNames: readonly string[],
  outPath: string,
  options: ConfusionOptions = {},
): Promise<{ width: number; height: number }> {
  return renderVegaLite(confusionMatrixSpec(matrix, classNames, options), outPath);
}
