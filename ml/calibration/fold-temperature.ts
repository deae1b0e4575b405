/**
 * Folds a temperature into a trained model: the last layer's kernel and bias are divided by T, so the model's
 * logits become logits / T and softmax of them (what the server reports as `prob`) is the calibrated probability.
 * Every family that ends in a linear Dense exports the scaled weights as they are, with no extra graph node.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../backends/select-backend.ts';

/**
 * Scales `model`'s final Dense layer in place by 1 / T (T = 1 leaves it untouched).
 *
 * @throws Error when T is not finite and > 0, or when the last layer is not a Dense with a linear activation
 *   (dividing the input of a non-linearity would not divide the logits).
 */
export function foldTemperature(tf: Tf, model: tfjs.LayersModel, temperature: number): void {
  if (!(Number.isFinite(temperature) && temperature > 0)) throw new Error(`foldTemperature: temperature must be a finite number > 0, got ${temperature}`);
  if (temperature === 1) return;
  const last = model.layers.at(-1);
  const config = (last?.getConfig() ?? {}) as { activation?: string };
  if (!last || last.getClassName() !== 'Dense' || (config.activation ?? 'linear') !== 'linear') {
    throw new Error(`foldTemperature: model '${model.name}' ends in ${last ? `${last.getClassName()} '${last.name}'` : 'no layer'}; ` +
      'temperature scaling needs a final Dense layer with a linear activation (set aggregate.calibrate: false for this architecture)');
  }
  const scaled = tf.tidy(() => last.getWeights().map((w) => tf.div(w, temperature)));
  last.setWeights(scaled);
  tf.dispose(scaled);
}
