/**
 * Test-time augmentation inside the exported graph: the batch is run through the backbone together with its views
 * (one pass over V x N images), and the V feature vectors of each image are averaged before the head.
 * - `flip`: a MatMul with an anti-identity matrix on the width axis (Slice with negative steps, Gather, or a
 *   duplicated backbone branch are not loadable by every runtime; OpenCV's dnn, which the original project's serving
 *   stack uses, rejects them);
 * - `zoom<z>`: Slice of the centre z x z (positive steps) + Resize back to the input size (linear, half_pixel),
 *   the arithmetic of ml/preprocess/zoom.ts; `zoom<z>_flip` mirrors that.
 * The average is a Reshape to [V, N, D] + ReduceMean.
 */
import { assertZoom, zoomOf, zoomScale } from '../preprocess/zoom.ts';
import { floatTensor, int64Tensor, node, type IGraphProto, type INodeProto, type ITensorProto } from './proto.ts';

/** View names the graph can compute from its input. */
export function assertGraphViews(views: readonly string[], size: number): void {
  if (views.length === 0) throw new Error('test-time views: the list is empty (use [center] for none)');
  for (const v of views) {
    const z = zoomOf(v);
    if (z !== undefined) assertZoom(z, size);
    else if (v !== 'center' && v !== 'flip') throw new Error(`test-time view '${v}' cannot be computed inside the exported graph: use center, flip, zoom<z> or zoom<z>_flip`);
  }
}

/**
 * Rewires `graph` so the backbone reads all `views` of its input stacked on the batch axis, and returns the name of
 * the [N, dim] tensor holding the mean of each image's view features. Call it after the feature output exists,
 * before the head. With the single view `center` the graph is left as it is.
 */
export function addViewBranch(graph: IGraphProto, input: string, features: string, views: readonly string[], size: number, dim: number): string {
  assertGraphViews(views, size);
  if (views.length === 1 && views[0] === 'center') return features;
  const stacked = `${input}__views`;
  for (const n of graph.node ?? []) n.input = (n.input ?? []).map((t) => (t === input ? stacked : t));
  const inits: ITensorProto[] = [];
  const pre: INodeProto[] = [];
  const made = new Set<string>();
  const mirror = (from: string, to: string) => {
    if (!made.has('flip_permutation')) {
      const perm = new Float32Array(size * size);
      for (let i = 0; i < size; i++) perm[i * size + (size - 1 - i)] = 1;
      inits.push(floatTensor('flip_permutation', [size, size], perm));
      made.add('flip_permutation');
    }
    pre.push(node('MatMul', [from, 'flip_permutation'], [to], `${to}_MatMul`));
  };
  const zoom = (z: number): string => {
    const out = `${input}__zoom${z}`;
    if (made.has(out)) return out;
    const o = (size - z) / 2;
    inits.push(
      int64Tensor(`zoom${z}_starts`, [o, o]),
      int64Tensor(`zoom${z}_ends`, [o + z, o + z]),
      int64Tensor(`zoom${z}_axes`, [2, 3]),
      floatTensor(`zoom${z}_scales`, [4], Float32Array.of(1, 1, zoomScale(size, z), zoomScale(size, z))),
    );
    if (!made.has('zoom_roi')) inits.push(floatTensor('zoom_roi', [0], new Float32Array(0))), made.add('zoom_roi');
    pre.push(
      node('Slice', [input, `zoom${z}_starts`, `zoom${z}_ends`, `zoom${z}_axes`], [`${out}_centre`], `${out}_Slice`),
      node('Resize', [`${out}_centre`, 'zoom_roi', `zoom${z}_scales`], [out], `${out}_Resize`, { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }),
    );
    made.add(out);
    return out;
  };
  const tensors = views.map((v) => {
    if (v === 'center') return input;
    if (v === 'flip') return mirror(input, `${input}__mirror`), `${input}__mirror`;
    const z = zoomOf(v)!;
    const zoomed = zoom(z);
    if (!v.endsWith('_flip')) return zoomed;
    mirror(zoomed, `${zoomed}_mirror`);
    return `${zoomed}_mirror`;
  });
  inits.push(int64Tensor('tta_views_shape', [views.length, -1, dim]));
  graph.initializer = [...(graph.initializer ?? []), ...inits];
  const averaged = `${features}_tta_mean`;
  graph.node = [
    ...pre,
    node('Concat', tensors, [stacked], 'tta_concat', { axis: 0 }),
    ...(graph.node ?? []),
    node('Reshape', [features, 'tta_views_shape'], [`${features}_tta_views`], 'tta_views'),
    node('ReduceMean', [`${features}_tta_views`], [averaged], 'tta_mean', { axes: [0], keepdims: 0 }),
  ];
  return averaged;
}
