/**
 * Exposes the backbone's penultimate features: the int8 MobileNetV2 only has them in quantized form, so a
 * `DequantizeLinear` node is added next to the original classifier and its result declared a graph output.
 */
import { DataType, node, valueInfo, type IGraphProto, type INodeProto, type ITensorProto, type ModelProto } from './proto.ts';
import type { FeatureNode } from './types.ts';

/** Names every tensor of `model` that `featureNode` refers to but the graph lacks; throws if any. */
export function assertFeatureNode(model: ModelProto, featureNode: FeatureNode, what = 'backbone'): void {
  const graph = model.graph!;
  const known = new Set<string>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) known.add(o);
  for (const t of graph.initializer ?? []) known.add(t.name ?? '');
  for (const i of graph.input ?? []) known.add(i.name ?? '');
  const wanted = { tensor: featureNode.tensor, scale: featureNode.scale, zero_point: featureNode.zeroPoint };
  const missing = Object.entries(wanted).filter(([, name]) => !known.has(name));
  if (missing.length) {
    throw new Error(
      `${what}: feature_node names tensors the graph does not have: ${missing.map(([k, n]) => `${k} '${n}'`).join(', ')}. ` +
        'Check backbone.feature_node in the pipeline file against the model (see the backbone README: for MobileNetV2-int8 ' +
        "tensor '472_quantized', scale '464_scale', zero_point '464_zero_point').",
    );
  }
}

const dimsOf = (t: ITensorProto | undefined) => (t?.dims ?? []).map((d) => Number(d));

/**
 * The feature dimension read off the graph: a declared shape of the tensor, else the first dimension of the weight
 * of a (QLinear)MatMul/Gemm consuming it, else the output channels of the nearest convolution above it.
 * Undefined if none of these is found.
 */
export function inferFeatureDim(graph: IGraphProto, tensor: string): number | undefined {
  for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    if (v.name !== tensor) continue;
    const dims = v.type?.tensorType?.shape?.dim ?? [];
    const last = dims[dims.length - 1];
    if (dims.length === 2 && last?.dimValue != null) return Number(last.dimValue);
  }
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const n of graph.node ?? []) {
    const inputs = n.input ?? [];
    const at = inputs.indexOf(tensor);
    if (at !== 0) continue;
    const weight = n.opType === 'QLinearMatMul' ? inputs[3] : n.opType === 'MatMul' || n.opType === 'Gemm' ? inputs[1] : undefined;
    const transB = n.attribute?.find((a) => a.name === 'transB')?.i;
    const dims = dimsOf(weight ? inits.get(weight) : undefined);
    if (dims.length === 2) return Number(transB ?? 0) ? dims[1] : dims[0];
  }
  // Walk up through channel-preserving ops to the convolution that made the channels.
  const producer = new Map<string, INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const passThrough = new Set(['Reshape', 'Flatten', 'Squeeze', 'GlobalAveragePool', 'QLinearGlobalAveragePool', 'DequantizeLinear', 'QuantizeLinear', 'Relu', 'Clip', 'QLinearAdd', 'Add']);
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

/**
 * Adds `DequantizeLinear(tensor, scale, zeroPoint) -> outputName` and declares it a float32 graph output
 * `[batch, dim]`, keeping the original outputs. Returns the feature dimension (undefined if the graph does not
 * tell; the output is then declared `[batch, 'dim']`). Edits `model` in place.
 */
export function addFeatureOutput(model: ModelProto, featureNode: FeatureNode, outputName = 'features'): number | undefined {
  assertFeatureNode(model, featureNode);
  const graph = model.graph!;
  const taken = (graph.node ?? []).some((n) => (n.output ?? []).includes(outputName)) || (graph.initializer ?? []).some((t) => t.name === outputName);
  if (taken) throw new Error(`cannot add feature output '${outputName}': the graph already has a tensor of that name`);
  const dim = inferFeatureDim(graph, featureNode.tensor);
  graph.node = [
    ...(graph.node ?? []),
    node('DequantizeLinear', [featureNode.tensor, featureNode.scale, featureNode.zeroPoint], [outputName], `${outputName}_DequantizeLinear`),
  ];
  graph.output = [...(graph.output ?? []), valueInfo(outputName, DataType.FLOAT, [batchDim(graph), dim ?? 'dim'])];
  return dim;
}
