/**
 * The trainable tail of a quantized backbone, dequantized to float: from a quantized tensor (`from`, e.g.
 * MobileNetV2-int8's `624_quantized`, the 7x7x320 input of the final 1x1 conv) through the chain of pointwise
 * (1x1, stride 1, ungrouped) QLinearConv nodes down to the QLinearGlobalAveragePool that makes the pooled features.
 * Each conv becomes (by `dequantizedConv` of dequantize.ts) a float kernel `[in][out]` (the tfjs Dense layout) and bias:
 *   W[o][i] = (w_q[o][i] - w_zp[o]) * w_scale[o]       (per output channel when the model is, else one scale)
 *   b[o]    = b_q[o] * x_scale * w_scale[o]            (QLinearConv's int32 bias convention)
 * The ReLU6 of MobileNetV2 is fused into the quantized output range: an output zero point of 0 with a range of
 * scale x 255 ~ 6 means ReLU6 (a range near 6 is what the float model clipped to), zero point 0 with another range a ReLU, and
 * any other zero point no activation (the linear bottleneck projections).
 */
import { transpose } from './dense-head-nodes.ts';
import { dequantizedConv } from './dequantize.ts';
import { tensorValues, type IGraphProto, type INodeProto, type ITensorProto, type ModelProto } from './proto.ts';

export type TailActivation = 'relu6' | 'relu' | 'linear';

/** One pointwise conv of the tail, as a float Dense layer applied at every spatial position. */
export interface TailConv {
  /** The ONNX node's name (e.g. `Conv_95_quant`). */
  readonly node: string;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Row-major `[inChannels][outChannels]`. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly activation: TailActivation;
}

export interface TrainableTail {
  /** The quantized tensor the tail starts from, with its (scalar) quantization. */
  readonly from: {
    readonly tensor: string;
    readonly scale: number;
    readonly zeroPoint: number;
    /** The initializers holding scale and zero point (the exported graph dequantizes with them). */
    readonly scaleName: string;
    readonly zeroPointName: string;
    readonly channels: number;
  };
  readonly convs: readonly TailConv[];
  /** Channels of the pooled features (the last conv's outputs). */
  readonly pooledDim: number;
}

function scalar(inits: Map<string, ITensorProto>, name: string, what: string): number {
  const t = inits.get(name);
  if (!t) throw new Error(`${what}: '${name}' is not an initializer of the backbone`);
  const v = tensorValues(t);
  if (v.length !== 1) throw new Error(`${what}: '${name}' holds ${v.length} values, expected one (per-tensor quantization of activations)`);
  return v[0]!;
}

function attrInts(n: INodeProto, name: string): number[] | undefined {
  const a = n.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  return a.ints?.length ? a.ints.map(Number) : a.i != null ? [Number(a.i)] : undefined;
}

function activationOf(scale: number, zeroPoint: number): TailActivation {
  if (zeroPoint !== 0) return 'linear';
  return Math.abs(scale * 255 - 6) < 0.05 ? 'relu6' : 'relu';
}

/** Dequantizes one pointwise QLinearConv (the weights by `dequantizedConv`) into the Dense layout, with its fused activation. */
function dequantizeConv(model: ModelProto, n: INodeProto, inits: Map<string, ITensorProto>): TailConv {
  const what = `QLinearConv '${n.name}'`;
  const [, , , wName, , , yScaleName, yZpName] = n.input ?? [];
  const w = inits.get(wName ?? '');
  if (!w) throw new Error(`${what}: its weight '${wName}' is not an initializer; only constant weights can be dequantized`);
  const dims = (w.dims ?? []).map(Number);
  const kernelShape = attrInts(n, 'kernel_shape') ?? dims.slice(2);
  const strides = attrInts(n, 'strides') ?? [1, 1];
  const group = attrInts(n, 'group')?.[0] ?? 1;
  if (dims.length !== 4 || kernelShape.some((k) => k !== 1) || strides.some((s) => s !== 1) || group !== 1) {
    throw new Error(`${what}: weight [${dims.join(',')}], kernel [${kernelShape.join(',')}], strides [${strides.join(',')}], group ${group}; ` +
      'only pointwise (1x1, stride 1, group 1) convolutions train as dense layers: pick a `from` tensor after the last 3x3 convolution');
  }
  const [out, inC] = dims as [number, number];
  const { weight, bias } = dequantizedConv(model, n.output![0]!);
  // [out][in] (ONNX) -> [in][out] (tfjs Dense).
  const kernel = transpose(weight.data, out, inC);
  const activation = activationOf(scalar(inits, yScaleName ?? '', what), scalar(inits, yZpName ?? '', what));
  return { node: n.name ?? '', inChannels: inC, outChannels: out, kernel, bias, activation };
}

/** Nodes computing from `tensor`; a DequantizeLinear is skipped (MobileNetV2 dequantizes 627 only to read its shape). */
function consumers(graph: IGraphProto, tensor: string): INodeProto[] {
  return (graph.node ?? []).filter((n) => (n.input ?? []).includes(tensor) && n.opType !== 'DequantizeLinear');
}

/**
 * Walks from `from` to the global average pool and dequantizes every conv on the way. Throws naming the tensor
 * and the node at fault when the path is not a plain chain of pointwise convolutions.
 */
export function trainableTail(model: ModelProto, from: string): TrainableTail {
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = (graph.node ?? []).find((n) => (n.output ?? []).includes(from));
  if (!producer) throw new Error(`finetune: the backbone has no tensor '${from}' made by a node; set 'from' to a quantized activation such as 624_quantized (MobileNetV2-int8: input of the final 1x1 conv)`);
  // The quantization of `from` is the producer's output scale/zero point (QLinearConv/QLinearAdd: the two inputs before any bias).
  const qIn = producer.opType === 'QLinearConv' || producer.opType === 'QLinearAdd' ? [6, 7] : undefined;
  if (!qIn) throw new Error(`finetune: '${from}' is made by ${producer.opType} '${producer.name}', not by a QLinearConv or QLinearAdd; pick a quantized activation`);
  const convs: TailConv[] = [];
  let tensor = from;
  for (let hops = 0; hops < 16; hops++) {
    const next = consumers(graph, tensor);
    if (next.length !== 1) throw new Error(`finetune: '${tensor}' feeds ${next.length} nodes (${next.map((n) => n.name).join(', ')}); the tail must be a chain (no residual additions after 'from')`);
    const n = next[0]!;
    if (n.opType === 'QLinearGlobalAveragePool') {
      if (convs.length === 0) throw new Error(`finetune: '${from}' feeds the pool directly; there is no convolution to train (pick an earlier tensor)`);
      const scaleName = producer.input![qIn[0]!]!;
      const zeroPointName = producer.input![qIn[1]!]!;
      const fromInfo = { tensor: from, scale: scalar(inits, scaleName, `'${from}'`), zeroPoint: scalar(inits, zeroPointName, `'${from}'`), scaleName, zeroPointName, channels: convs[0]!.inChannels };
      return { from: fromInfo, convs, pooledDim: convs[convs.length - 1]!.outChannels };
    }
    if (n.opType !== 'QLinearConv') throw new Error(`finetune: after '${from}' comes ${n.opType} '${n.name}'; only pointwise QLinearConv nodes up to the global average pool can be trained`);
    const conv = dequantizeConv(model, n, inits);
    if (convs.length && convs[convs.length - 1]!.outChannels !== conv.inChannels) throw new Error(`finetune: '${n.name}' takes ${conv.inChannels} channels, the conv before gives ${convs[convs.length - 1]!.outChannels}`);
    convs.push(conv);
    tensor = n.output![0]!;
  }
  throw new Error(`finetune: no global average pool within 16 nodes of '${from}'`);
}
