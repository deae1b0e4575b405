/**
 * Maps a trained `cnn` model to a standalone ONNX graph. ONNX convolutions are NCHW, so the graph runs NCHW from
 * the input on and transposes to NHWC right before Flatten: the Dense kernel then keeps its tfjs row order.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { DataType, encodeModel, floatTensor, node, onnx, setMetadata, valueInfo, type NodeProto, type TensorProto } from '../onnx/proto.ts';
import type { LayersModel, OnnxEnv } from './family.ts';

interface LayerConfig {
  activation?: string;
  padding?: string;
  strides?: number[];
  poolSize?: number[];
  kernelSize?: number[];
  dilationRate?: number[] | number;
  dataFormat?: string;
  useBias?: boolean;
}

const activationOps: Readonly<Record<string, string | null>> = { linear: null, relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', elu: 'Elu' };

/** 'same' padding as TensorFlow computes it for stride 1: the odd pixel goes to the end. */
function samePads(kernel: readonly number[]): number[] {
  const begin = kernel.map((k) => Math.floor((k - 1) / 2));
  const end = kernel.map((k, i) => k - 1 - begin[i]!);
  return [...begin, ...end];
}

/** [kh, kw, in, out] (tfjs) -> [out, in, kh, kw] (ONNX). */
function convKernelToOihw(t: tfjs.Tensor): { dims: number[]; data: Float32Array } {
  const [kh, kw, ci, co] = t.shape as [number, number, number, number];
  const src = t.dataSync() as Float32Array;
  const data = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    data[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o]!;
  }
  return { dims: [co, ci, kh, kw], data };
}

export function cnnToOnnx(model: LayersModel, env: OnnxEnv): Uint8Array {
  const inputShape = model.inputs[0]!.shape as (number | null)[];
  const [, size, size2, channels] = inputShape as [null, number, number, number];
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let current = 'images';
  let nchw = true;
  let outClasses = 0;
  const activate = (layerName: string, act: string | undefined): void => {
    const op = activationOps[act ?? 'linear'];
    if (op === undefined) throw new Error(`cnn export: layer '${layerName}' has unsupported activation '${act}'`);
    if (op === null) return;
    nodes.push(node(op, [current], [`${layerName}/act`], `${layerName}/act`));
    current = `${layerName}/act`;
  };
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    const name = layer.name;
    if (kind === 'InputLayer' || kind === 'Dropout') continue;
    if (kind === 'Conv2D') {
      if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new Error(`cnn export: layer '${name}' is not channelsLast`);
      const strides = cfg.strides ?? [1, 1];
      const dil = Array.isArray(cfg.dilationRate) ? cfg.dilationRate : [cfg.dilationRate ?? 1, cfg.dilationRate ?? 1];
      if (strides.some((s) => s !== 1) || dil.some((d) => d !== 1)) throw new Error(`cnn export: layer '${name}' uses strides or dilation, not supported`);
      const [kernelT, biasT] = layer.getWeights();
      const k = convKernelToOihw(kernelT!);
      inits.push(floatTensor(`${name}/W`, k.dims, k.data));
      const inputs = [current, `${name}/W`];
      if (biasT && cfg.useBias !== false) {
        inits.push(floatTensor(`${name}/B`, [k.dims[0]!], Float32Array.from(biasT.dataSync())));
        inputs.push(`${name}/B`);
      }
      const kernelShape = [k.dims[2]!, k.dims[3]!];
      const pads = cfg.padding === 'same' ? samePads(kernelShape) : [0, 0, 0, 0];
      nodes.push(node('Conv', inputs, [`${name}/out`], name, { kernel_shape: kernelShape, pads, strides: [1, 1] }));
      current = `${name}/out`;
      activate(name, cfg.activation);
    } else if (kind === 'MaxPooling2D') {
      const pool = cfg.poolSize ?? [2, 2];
      const strides = cfg.strides ?? pool;
      const attrs: Record<string, number[] | string> = { kernel_shape: pool, strides };
      if (cfg.padding === 'same') attrs.auto_pad = 'SAME_UPPER';
      nodes.push(node('MaxPool', [current], [`${name}/out`], name, attrs));
      current = `${name}/out`;
    } else if (kind === 'Flatten') {
      nodes.push(node('Transpose', [current], [`${name}/nhwc`], `${name}/nhwc`, { perm: [0, 2, 3, 1] }));
      nodes.push(node('Flatten', [`${name}/nhwc`], [`${name}/out`], name, { axis: 1 }));
      current = `${name}/out`;
      nchw = false;
    } else if (kind === 'Dense') {
      if (nchw) throw new Error(`cnn export: Dense layer '${name}' before a Flatten is not supported`);
      const [kernelT, biasT] = layer.getWeights();
      const [inDim, outDim] = kernelT!.shape as [number, number];
      inits.push(floatTensor(`${name}/W`, [inDim, outDim], Float32Array.from(kernelT!.dataSync())));
      const bias = biasT && cfg.useBias !== false ? Float32Array.from(biasT.dataSync()) : new Float32Array(outDim);
      inits.push(floatTensor(`${name}/B`, [outDim], bias));
      nodes.push(node('Gemm', [current, `${name}/W`, `${name}/B`], [`${name}/out`], name));
      current = `${name}/out`;
      activate(name, cfg.activation);
      outClasses = outDim;
    } else {
      throw new Error(`cnn export: layer '${name}' of type ${kind} is not supported`);
    }
  }
  if (!outClasses) throw new Error('cnn export: the model has no Dense output layer');
  // Name the final tensor `logits` without renaming node outputs: an Identity is free at run time.
  nodes.push(node('Identity', [current], ['logits'], 'output_logits'));
  const graph = onnx.GraphProto.create({
    name: model.name,
    node: nodes,
    initializer: inits,
    input: [valueInfo('images', DataType.FLOAT, ['N', channels, size, size2])],
    output: [valueInfo('logits', DataType.FLOAT, ['N', outClasses])],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'food101-mlops',
    opsetImport: [{ domain: '', version: env.opset ?? 13 }],
    graph,
  });
  setMetadata(proto, { ...env.metadata });
  return encodeModel(proto);
}
