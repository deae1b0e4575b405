/**
 * What the graph says about a tensor's shape without running it: its rank and its feature (channel) dimension.
 * Quantized ONNX exports seldom declare value infos, so both are read off the ops that produce or consume it.
 */
import { tensorValues, type IGraphProto, type INodeProto, type ITensorProto } from './proto.ts';

const dimsOf = (t: ITensorProto | undefined) => (t?.dims ?? []).map((d) => Number(d));

/** Ops whose output has the rank of their first input (element-wise, convolutions, pooling, (de)quantization). */
const RANK_PRESERVING = new Set([
  'Conv', 'QLinearConv', 'ConvInteger', 'Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Add', 'QLinearAdd', 'Sub', 'Mul', 'QLinearMul', 'Div',
  'BatchNormalization', 'MaxPool', 'AveragePool', 'QLinearAveragePool', 'GlobalAveragePool', 'QLinearGlobalAveragePool', 'GlobalMaxPool',
  'DequantizeLinear', 'QuantizeLinear', 'Identity', 'Dropout', 'Concat', 'MatMul', 'Softmax',
]);

function declaredDims(graph: IGraphProto, tensor: string) {
  for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? []), ...(graph.input ?? [])]) {
    if (v.name === tensor && v.type?.tensorType?.shape?.dim) return v.type.tensorType.shape.dim;
  }
  return undefined;
}

/** Number of elements of a 1-D shape tensor known from the graph (initializer, Concat of such, Unsqueeze of a scalar). */
function staticLength(graph: IGraphProto, tensor: string, producer: Map<string, INodeProto>, depth = 0): number | undefined {
  const init = (graph.initializer ?? []).find((t) => t.name === tensor);
  if (init) return dimsOf(init).length === 0 ? 1 : dimsOf(init)[0];
  const n = producer.get(tensor);
  if (!n || depth > 8) return undefined;
  if (n.opType === 'Unsqueeze') return 1;
  if (n.opType === 'Concat') {
    let sum = 0;
    for (const i of n.input ?? []) {
      const len = staticLength(graph, i, producer, depth + 1);
      if (len === undefined) return undefined;
      sum += len;
    }
    return sum;
  }
  return undefined;
}

/** The rank of `tensor` (4 for NCHW feature maps, 2 for pooled features), or undefined if the graph does not tell. */
export function tensorRank(graph: IGraphProto, tensor: string): number | undefined {
  const producer = new Map<string, INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const rank = (t: string, depth: number): number | undefined => {
    const declared = declaredDims(graph, t);
    if (declared) return declared.length;
    const init = (graph.initializer ?? []).find((x) => x.name === t);
    if (init) return dimsOf(init).length;
    const n = producer.get(t);
    if (!n || depth > 400) return undefined;
    const op = n.opType ?? '';
    if (op === 'Flatten' || op === 'Gemm' || op === 'QLinearMatMul') return 2;
    if (op === 'Reshape') return staticLength(graph, (n.input ?? [])[1] ?? '', producer);
    const axes = n.attribute?.find((a) => a.name === 'axes')?.ints?.length;
    if ((op === 'Squeeze' || op === 'Unsqueeze') && axes !== undefined) {
      const r = rank((n.input ?? [])[0] ?? '', depth + 1);
      return r === undefined ? undefined : op === 'Squeeze' ? r - axes : r + axes;
    }
    return RANK_PRESERVING.has(op) ? rank((n.input ?? [])[0] ?? '', depth + 1) : undefined;
  };
  return rank(tensor, 0);
}

/**
 * The feature dimension read off the graph: a declared shape of the tensor, else the first dimension of the weight
 * of a (QLinear)MatMul/Gemm consuming it, else the output channels of the nearest convolution above it.
 * Undefined if none of these is found.
 */
export function inferFeatureDim(graph: IGraphProto, tensor: string): number | undefined {
  const declared = declaredDims(graph, tensor);
  if (declared && declared.length >= 2 && declared[1]?.dimValue != null) return Number(declared[1].dimValue);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const n of graph.node ?? []) {
    const inputs = n.input ?? [];
    if (inputs.indexOf(tensor) !== 0) continue;
    const weight = n.opType === 'QLinearMatMul' ? inputs[3] : n.opType === 'MatMul' || n.opType === 'Gemm' ? inputs[1] : undefined;
    const transB = n.attribute?.find((a) => a.name === 'transB')?.i;
    const dims = dimsOf(weight ? inits.get(weight) : undefined);
    if (dims.length === 2) return Number(transB ?? 0) ? dims[1] : dims[0];
  }
  // Walk up through channel-preserving ops to the convolution that made the channels.
  const producer = new Map<string, INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const passThrough = new Set(['Reshape', 'Flatten', 'Squeeze', 'GlobalAveragePool', 'QLinearGlobalAveragePool', 'DequantizeLinear', 'QuantizeLinear', 'Relu', 'Clip', 'QLinearAdd', 'Add', 'Identity', 'HardSwish', 'BatchNormalization']);
  let t = tensor;
  for (let hops = 0; hops < 32; hops++) {
    const n = producer.get(t);
    if (!n) return undefined;
    if (n.opType === 'Conv' || n.opType === 'QLinearConv') {
      const dims = dimsOf(inits.get((n.input ?? [])[n.opType === 'Conv' ? 1 : 3] ?? ''));
      return dims.length === 4 ? dims[0] : undefined;
    }
    if (!passThrough.has(n.opType ?? '')) return undefined;
    t = (n.input ?? [])[0] ?? '';
  }
  return undefined;
}

/** The symbolic (or fixed) batch dimension of the graph's first input, reused for new outputs. */
export function batchDim(graph: IGraphProto): string | number {
  const d = graph.input?.[0]?.type?.tensorType?.shape?.dim?.[0];
  if (d?.dimParam) return d.dimParam;
  if (d?.dimValue != null) return Number(d.dimValue);
  return 'N';
}

/** A scalar initializer's value (a scale or zero point), or undefined if it is not a scalar initializer. */
export function scalarValue(graph: IGraphProto, name: string): number | undefined {
  const t = (graph.initializer ?? []).find((x) => x.name === name);
  if (!t) return undefined;
  const v = tensorValues(t);
  return v.length === 1 ? v[0] : undefined;
}
