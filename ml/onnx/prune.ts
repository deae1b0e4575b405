/**
 * Dead-code elimination for ONNX graphs: keep only what is needed to compute a set of outputs.
 */
import type { ModelProto } from './proto.ts';

/**
 * Keeps only the nodes, initializers, inputs and value infos needed to compute `outputs`, and makes those the
 * graph's outputs (in the given order). Each output must already be declared in `graph.output`. Edits in place.
 */
export function pruneToOutputs(model: ModelProto, outputs: readonly string[]): ModelProto {
  const graph = model.graph;
  if (!graph) throw new Error('model has no graph');
  const declared = new Map((graph.output ?? []).map((o) => [o.name ?? '', o]));
  const missing = outputs.filter((o) => !declared.has(o));
  if (missing.length) throw new Error(`cannot prune to [${missing.join(', ')}]: not graph outputs (have ${[...declared.keys()].join(', ')})`);

  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output?.forEach((o) => o && producer.set(o, i)));

  const needed = new Set<string>();
  const keep = new Set<number>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (needed.has(t)) continue;
    needed.add(t);
    const i = producer.get(t);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    for (const inp of nodes[i]!.input ?? []) if (inp) stack.push(inp);
    // Subgraphs (If/Loop/Scan) may read outer-scope tensors: keep whatever they name.
    for (const a of nodes[i]!.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) for (const sn of g.node ?? []) for (const si of sn.input ?? []) if (si) stack.push(si);
  }

  graph.node = nodes.filter((_, i) => keep.has(i));
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
  graph.sparseInitializer = (graph.sparseInitializer ?? []).filter((t) => needed.has(t.values?.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => needed.has(v.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ''));
  graph.output = outputs.map((o) => declared.get(o)!);
  return model;
}
