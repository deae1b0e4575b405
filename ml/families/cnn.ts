/**
 * Family `cnn`: the original project's small VGG-style nets ("TinyVGG") trained from pixels. Each block is
 * Conv(3x3, same, relu) x2 + MaxPool(2); then Flatten and a Dense to logits. Input is NHWC in tfjs; the ONNX export
 * takes NCHW like every exported model. Training convolutions needs the cpu or a native tfjs backend (not wasm).
 */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { cnnToOnnx } from './cnn-onnx.ts';
import { defineFamily } from './family.ts';
import { glorot } from './seeds.ts';

export const cnnSchema = Type.Object(
  {
    family: Type.Literal('cnn', { description: 'A small VGG-style convolutional net trained from pixels.' }),
    input: Type.Optional(Type.Integer({ minimum: 8, maximum: 512, default: 64, description: 'Side of the square input image in pixels (preprocessing resizes to it).' })),
    blocks: Type.Optional(Type.Integer({ minimum: 1, maximum: 6, default: 2, description: 'Number of conv blocks (each: two 3x3 convolutions and a 2x2 max pool).' })),
    hidden_units: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, default: 16, description: 'Filters in every convolution.' })),
  },
  { additionalProperties: false, description: 'A from-pixels CNN: { family: cnn, input: 64, blocks: 2, hidden_units: 16 }.' },
);
export type CnnSpec = Static<typeof cnnSchema>;

/** The spec with defaults applied. */
export function cnnDims(spec: CnnSpec): { input: number; blocks: number; hiddenUnits: number } {
  return { input: spec.input ?? 64, blocks: spec.blocks ?? 2, hiddenUnits: spec.hidden_units ?? 16 };
}

export const cnn = defineFamily({
  name: 'cnn',
  description: 'TinyVGG: blocks of two 3x3 convolutions and a max pool, trained from pixels.',
  schema: cnnSchema,
  input: 'pixels',
  build(tf, spec, dims) {
    const { input, blocks, hiddenUnits } = cnnDims(spec);
    if (dims.inputSize !== undefined && dims.inputSize !== input) {
      throw new Error(`family cnn: the spec says input ${input} but the data is ${dims.inputSize}x${dims.inputSize}`);
    }
    if (input >> blocks < 1) throw new Error(`family cnn: input ${input} is too small for ${blocks} blocks of 2x2 pooling`);
    const channels = dims.channels ?? 3;
    const model = tf.sequential({ name: 'cnn' });
    model.add(tf.layers.inputLayer({ inputShape: [input, input, channels], name: 'pixels' }));
    for (let b = 1; b <= blocks; b++) {
      for (const c of [1, 2]) {
        const name = `block${b}_conv${c}`;
        model.add(tf.layers.conv2d({ name, filters: hiddenUnits, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(tf, dims.seed, name) }));
      }
      model.add(tf.layers.maxPooling2d({ name: `block${b}_pool`, poolSize: 2, strides: 2 }));
    }
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(tf.layers.dense({ name: 'logits', units: dims.numClasses, kernelInitializer: glorot(tf, dims.seed, 'logits') }));
    return model;
  },
  toOnnx: cnnToOnnx,
});

/** NCHW (the preprocessing and ONNX layout) to NHWC (tfjs), for `n` images of `c` x `h` x `w`. */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const base = i * c * plane;
    for (let ch = 0; ch < c; ch++) {
      const src = base + ch * plane;
      for (let p = 0; p < plane; p++) out[base + p * c + ch] = x[src + p]!;
    }
  }
  return out;
}
