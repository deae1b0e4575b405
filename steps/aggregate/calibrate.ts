/**
 * The winner's temperature: fitted on its configuration's out-of-fold validation logits (never on test), then
 * measured on the test logits of the model that is exported, before and after scaling.
 */
import { ECE_BINS, eceAt, fitTemperature, nllAt } from '../../ml/calibration/temperature.ts';
import type { Calibration } from '../../ml/report/summary.ts';

export function calibrate(
  outOfFold: { logits: Float32Array; y: Int32Array },
  test: { logits: Float32Array; y: Int32Array },
  numClasses: number,
): Calibration {
  const temperature = fitTemperature(outOfFold.logits, outOfFold.y, numClasses);
  const at = (T: number) => ({ ece: eceAt(test.logits, test.y, numClasses, T, ECE_BINS), nll: nllAt(test.logits, test.y, numClasses, T) });
  const before = at(1), after = at(temperature);
  return {
    temperature,
    fittedOn: outOfFold.y.length,
    bins: ECE_BINS,
    ece: { before: before.ece, after: after.ece },
    nll: { before: before.nll, after: after.nll },
  };
}
