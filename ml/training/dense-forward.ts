/**
 * A training-time forward pass for models made only of Dense and Dropout layers (the `head` family), built from
 * plain ops on the layers' own variables. Two reasons, both measured on wasm: tfjs-layers' Dense uses the fused
 * matMul, whose custom gradient always computes the gradient w.r.t. the input (for the first layer a full
 * batch x 1280 x units product nobody needs; plain matMul gradients are pruned); and tfjs dropout draws its mask
 * with a slow seeded generator per call. Here masks come from our own seeded generator. Inference still uses
 * `model.apply`: the weights are the same variables, so the two agree.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../backends/select-backend.ts';

type Tensor = tfjs.Tensor;

export type TrainForward = (x: Tensor, rand: () => number) => Tensor;

const activations: Readonly<Record<string, ((tf: Tf, x: Tensor) => Tensor) | undefined>> = {
  linear: (_tf, x) => x,
  relu: (tf, x) => tf.relu(x),
  tanh: (tf, x) => tf.tanh(x),
  sigmoid: (tf, x) => tf.sigmoid(x),
  elu: (tf, x) => tf.elu(x),
  relu6: (tf, x) => tf.relu6(x),
};

/** A weight of the layer, trainable or frozen (`finetune` with `trainable: head` freezes its convs). */
function variable(layer: tfjs.layers.Layer, suffix: string): Tensor | undefined {
  return layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`))?.read();
}

/** `x` times `kernel` over its last axis (a Dense layer on [B, P, C] applies at every position P). */
function denseOn(tf: Tf, x: Tensor, kernel: Tensor): Tensor {
  if (x.rank === 2) return tf.matMul(x as tfjs.Tensor2D, kernel as tfjs.Tensor2D);
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]!]) as tfjs.Tensor2D;
  return tf.reshape(tf.matMul(flat, kernel as tfjs.Tensor2D), [...lead, kernel.shape[1]!]);
}

/**
 * The fast forward for a model of Dense and Dropout layers (plus the Reshape and GlobalAveragePooling1D around
 * `finetune`'s per-position convs), or undefined when the model has other layers.
 */
export function denseTrainForward(tf: Tf, model: tfjs.LayersModel): TrainForward | undefined {
  const steps: ((x: Tensor, rand: () => number) => Tensor)[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const cfg = layer.getConfig() as { activation?: string; rate?: number; targetShape?: number[] };
    if (kind === 'InputLayer') continue;
    if (kind === 'Reshape' && cfg.targetShape) {
      const target = cfg.targetShape;
      steps.push((x) => tf.reshape(x, [-1, ...target]));
      continue;
    }
    if (kind === 'GlobalAveragePooling1D') {
      steps.push((x) => tf.mean(x, 1));
      continue;
    }
    if (kind === 'Dense') {
      const kernel = variable(layer, 'kernel');
      const bias = variable(layer, 'bias');
      const act = activations[cfg.activation ?? 'linear'];
      if (!kernel || !act) return undefined;
      steps.push((x) => act(tf, bias ? tf.add(denseOn(tf, x, kernel), bias) : denseOn(tf, x, kernel)));
    } else if (kind === 'Dropout') {
      const rate = cfg.rate ?? 0;
      if (rate <= 0) continue;
      const scale = 1 / (1 - rate);
      steps.push((x, rand) => {
        const mask = new Float32Array(x.size);
        for (let i = 0; i < mask.length; i++) mask[i] = rand() >= rate ? scale : 0;
        return tf.mul(x, tf.tensor(mask, x.shape));
      });
    } else {
      return undefined;
    }
  }
  return (x, rand) => steps.reduce((h, step) => step(h, rand), x);
}
