/** Shared test helpers for ml/onnx: real photos, the original classifier dequantized, small matrix maths. */
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel, initializer, tensorValues } from '../../../ml/onnx/proto.ts';
import type { DenseLayer } from '../../../ml/onnx/types.ts';
import { miniDataDir } from '../../helpers/paths.ts';

/** `perClass` photos of every class of the mini data set, sorted (deterministic). */
export function photos(perClass: number): string[] {
  const root = path.join(miniDataDir, 'images');
  return fs
    .readdirSync(root)
    .sort()
    .flatMap((c) => fs.readdirSync(path.join(root, c)).sort().slice(0, perClass).map((f) => path.join(root, c, f)));
}

/** The backbone's own 1280 -> 1000 classifier as a float Dense layer (per-column int8 weights dequantized). */
export function originalClassifier(backbone: Uint8Array): DenseLayer {
  const m = decodeModel(backbone);
  const v = (name: string) => tensorValues(initializer(m, name));
  const q = v('classifier.1.weight_quantized');
  const scale = v('classifier.1.weight_scale');
  const zp = v('classifier.1.weight_zero_point');
  const kernel = new Float32Array(1280 * 1000);
  for (let i = 0; i < 1280; i++) for (let j = 0; j < 1000; j++) kernel[i * 1000 + j] = (q[i * 1000 + j]! - zp[j]!) * scale[j]!;
  const bq = v('classifier.1.bias_quantized');
  const bs = v('classifier.1.bias_scale')[0]!;
  const bz = v('classifier.1.bias_zero_point')[0]!;
  return { inDim: 1280, outDim: 1000, kernel, bias: Float32Array.from(bq, (x) => (x - bz) * bs), activation: 'linear' };
}

export function argmax(a: ArrayLike<number>, offset = 0, n = a.length - offset): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[offset + i]! > a[offset + best]!) best = i;
  return best;
}

/** A seeded pseudo-random Dense layer (mulberry32), weights in [-scale, scale]. */
export function randomLayer(inDim: number, outDim: number, activation: DenseLayer['activation'], seed: number, scale = 0.05): DenseLayer {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
  return {
    inDim,
    outDim,
    kernel: Float32Array.from({ length: inDim * outDim }, () => rnd() * scale),
    bias: Float32Array.from({ length: outDim }, () => rnd() * scale),
    activation,
  };
}

const ACT: Record<DenseLayer['activation'], (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(0, x),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
};

/** The head in plain JS (double precision): `n x inDim` features -> `n x outDim` outputs. */
export function denseForward(layers: readonly DenseLayer[], x: Float32Array, n: number): Float64Array {
  let cur = Float64Array.from(x);
  for (const l of layers) {
    const next = new Float64Array(n * l.outDim);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < l.outDim; j++) {
        let s = l.bias[j]!;
        for (let i = 0; i < l.inDim; i++) s += cur[r * l.inDim + i]! * l.kernel[i * l.outDim + j]!;
        next[r * l.outDim + j] = ACT[l.activation](s);
      }
    }
    cur = next;
  }
  return cur;
}
