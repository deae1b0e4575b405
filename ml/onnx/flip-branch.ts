/**
 * Test-time flip augmentation inside the exported graph: a second copy of the backbone runs on the horizontally
 * mirrored image and the two feature vectors are averaged before the head. The mirror is a MatMul with an
 * anti-identity matrix on the width axis (Slice with negative steps and Gather are not loadable by every
 * runtime, e.g. OpenCV's dnn, which the original project's serving stack uses). Initializers are shared, so
 * the file grows only by the graph nodes.
 */
import { floatTensor, node, type IGraphProto, type INodeProto } from './proto.ts';

const SUFFIX = '__flip';

/**
 * Adds the flipped branch for `input` (an NCHW image tensor of width `width`) and returns the name of the
 * averaged tensor for `features`. Must be called after the feature output exists and before the head is added.
 */
export function addFlipBranch(graph: IGraphProto, input: string, features: string, width: number): string {
  const produced = new Set((graph.node ?? []).flatMap((n) => n.output ?? []));
  const rename = (t: string): string => (t === input || produced.has(t) ? `${t}${SUFFIX}` : t);
  const copies: INodeProto[] = (graph.node ?? []).map((n) => ({
    ...n,
    name: `${n.name ?? n.opType}${SUFFIX}`,
    input: (n.input ?? []).map((t) => (t === '' ? t : rename(t))),
    output: (n.output ?? []).map(rename),
  }));
  const perm = new Float32Array(width * width);
  for (let i = 0; i < width; i++) perm[i * width + (width - 1 - i)] = 1;
  graph.initializer = [...(graph.initializer ?? []), floatTensor('flip_permutation', [width, width], perm), floatTensor('flip_half', [], new Float32Array([0.5]))];
  const averaged = `${features}_tta_mean`;
  graph.node = [
    ...(graph.node ?? []),
    node('MatMul', [input, 'flip_permutation'], [`${input}${SUFFIX}`], 'flip_width'),
    ...copies,
    node('Add', [features, `${features}${SUFFIX}`], [`${features}_tta_sum`], 'flip_tta_sum'),
    node('Mul', [`${features}_tta_sum`, 'flip_half'], [averaged], 'flip_tta_mean'),
  ];
  return averaged;
}
