/**
 * Test-time flip augmentation inside the exported graph: the batch is run through the backbone together with its
 * horizontal mirror (one pass over 2N images), and the two feature vectors of each image are averaged before the
 * head. The mirror is a MatMul with an anti-identity matrix on the width axis, and the average a Reshape to
 * [2, N, D] + ReduceMean: Slice with negative steps, Gather, or a duplicated backbone branch are not loadable by
 * every runtime (OpenCV's dnn, which the original project's serving stack uses, rejects them).
 */
import { floatTensor, int64Tensor, node, type IGraphProto } from './proto.ts';

/**
 * Rewires `graph` so the backbone reads [images; mirrored images] and returns the name of the [N, dim] tensor
 * holding the mean of each image's two `features` rows. Call it after the feature output exists, before the head.
 */
export function addFlipBranch(graph: IGraphProto, input: string, features: string, width: number, dim: number): string {
  const both = `${input}__with_mirror`;
  for (const n of graph.node ?? []) n.input = (n.input ?? []).map((t) => (t === input ? both : t));
  const perm = new Float32Array(width * width);
  for (let i = 0; i < width; i++) perm[i * width + (width - 1 - i)] = 1;
  graph.initializer = [...(graph.initializer ?? []), floatTensor('flip_permutation', [width, width], perm), int64Tensor('flip_pairs_shape', [2, -1, dim])];
  const averaged = `${features}_tta_mean`;
  graph.node = [
    node('MatMul', [input, 'flip_permutation'], [`${input}__mirror`], 'flip_width'),
    node('Concat', [input, `${input}__mirror`], [both], 'flip_concat', { axis: 0 }),
    ...(graph.node ?? []),
    node('Reshape', [features, 'flip_pairs_shape'], [`${features}_tta_pairs`], 'flip_pairs'),
    node('ReduceMean', [`${features}_tta_pairs`], [averaged], 'flip_tta_mean', { axes: [0], keepdims: 0 }),
  ];
  return averaged;
}
