/**
 * Exposes the backbone's features as a float32 `[batch, dim]` graph output: a quantized feature tensor is
 * dequantized (`DequantizeLinear`), a 4-D NCHW feature map is average-pooled (`GlobalAveragePool` + `Flatten`), and
 * several feature nodes are concatenated in order. The original outputs are kept.
 */
import { batchDim, inferFeatureDim, tensorRank } from './graph-shapes.ts';
import { DataType, node, valueInfo, type ModelProto, type NodeProto } from './proto.ts';
import { featureNodeList, type FeatureNode, type FeatureNodes } from './types.ts';

export { inferFeatureDim } from './graph-shapes.ts';

const HINT =
  "Check backbone.feature_node in the pipeline file against the model (see README 'Switching the backbone': for MobileNetV2-int8 " +
  "tensor '472_quantized', scale '464_scale', zero_point '464_zero_point').";

/** Names every tensor of `model` that the feature nodes refer to but the graph lacks; throws if any. */
export function assertFeatureNode(model: ModelProto, nodes: FeatureNodes, what = 'backbone'): void {
  const graph = model.graph!;
  const known = new Set<string>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) known.add(o);
  for (const t of graph.initializer ?? []) known.add(t.name ?? '');
  for (const i of graph.input ?? []) known.add(i.name ?? '');
  for (const fn of featureNodeList(nodes)) {
    if ((fn.scale === undefined) !== (fn.zeroPoint === undefined)) {
      throw new Error(`${what}: feature_node '${fn.tensor}' has ${fn.scale === undefined ? 'a zero_point but no scale' : 'a scale but no zero_point'}: give both for a quantized tensor, neither for a float one.`);
    }
    const wanted = { tensor: fn.tensor, scale: fn.scale, zero_point: fn.zeroPoint };
    const missing = Object.entries(wanted).filter(([, name]) => name !== undefined && !known.has(name));
    if (missing.length) throw new Error(`${what}: feature_node names tensors the graph does not have: ${missing.map(([k, n]) => `${k} '${n}'`).join(', ')}. ${HINT}`);
  }
}

/** Whether a feature node's tensor is pooled, from its `pool` setting and the rank the graph gives it. */
function needsPool(model: ModelProto, fn: FeatureNode, what: string): boolean {
  const pool = fn.pool ?? 'auto';
  const rank = tensorRank(model.graph!, fn.tensor);
  if (pool === 'auto' && rank === undefined) {
    throw new Error(`${what}: cannot tell the rank of feature tensor '${fn.tensor}' from the graph; set feature_node.pool to 'average' (an NCHW feature map) or 'none' (already [N, dim]).`);
  }
  if (rank !== undefined && rank !== 2 && rank !== 4) throw new Error(`${what}: feature tensor '${fn.tensor}' has rank ${rank}; expected [N, dim] or an NCHW map [N, C, H, W]`);
  if (pool === 'none' && rank === 4) throw new Error(`${what}: feature tensor '${fn.tensor}' is 4-D (NCHW) but feature_node.pool is 'none'; use 'auto' or 'average' to pool it`);
  if (pool === 'average' && rank === 2) throw new Error(`${what}: feature tensor '${fn.tensor}' is already [N, dim]; feature_node.pool 'average' needs an NCHW map (use 'auto')`);
  return pool === 'average' || (pool === 'auto' && rank === 4);
}

/**
 * Adds the nodes that turn the feature node(s) into one float32 `[batch, dim]` tensor `outputName` and declares it a
 * graph output. Returns the feature dimension (the sum over the nodes; undefined if the graph does not tell, the
 * output is then declared `[batch, 'dim']`). Edits `model` in place.
 */
export function addFeatureOutput(model: ModelProto, nodes: FeatureNodes, outputName = 'features', what = 'backbone'): number | undefined {
  assertFeatureNode(model, nodes, what);
  const graph = model.graph!;
  const taken = (graph.node ?? []).some((n) => (n.output ?? []).includes(outputName)) || (graph.initializer ?? []).some((t) => t.name === outputName);
  if (taken) throw new Error(`cannot add feature output '${outputName}': the graph already has a tensor of that name`);
  const list = featureNodeList(nodes);
  const added: NodeProto[] = [];
  const parts: string[] = [];
  let dim: number | undefined = 0;
  list.forEach((fn, i) => {
    const at = `${outputName}__part${i}`;
    let t = fn.tensor;
    const pool = needsPool(model, fn, what);
    if (fn.scale !== undefined && fn.zeroPoint !== undefined) {
      added.push(node('DequantizeLinear', [t, fn.scale, fn.zeroPoint], [`${at}_float`], `${at}_DequantizeLinear`));
      t = `${at}_float`;
    }
    if (pool) {
      added.push(node('GlobalAveragePool', [t], [`${at}_pooled`], `${at}_GlobalAveragePool`), node('Flatten', [`${at}_pooled`], [`${at}_flat`], `${at}_Flatten`, { axis: 1 }));
      t = `${at}_flat`;
    }
    parts.push(t);
    const d = inferFeatureDim(graph, fn.tensor);
    dim = dim === undefined || d === undefined ? undefined : dim + d;
  });
  added.push(parts.length === 1 ? node('Identity', parts, [outputName], `${outputName}_Identity`) : node('Concat', parts, [outputName], `${outputName}_Concat`, { axis: 1 }));
  graph.node = [...(graph.node ?? []), ...added];
  graph.output = [...(graph.output ?? []), valueInfo(outputName, DataType.FLOAT, [batchDim(graph), dim ?? 'dim'])];
  return dim;
}
