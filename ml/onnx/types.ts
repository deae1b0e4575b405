/** Shared shapes of the ONNX tooling: where the backbone's features live, and a trained dense layer. */

/**
 * A tensor of the backbone that holds features: quantized (with its scale and zero point, e.g. MobileNetV2-int8's
 * `472_quantized`, `464_scale`, `464_zero_point`) or float (no scale, no zero point). A 4-D NCHW tensor is
 * average-pooled over its spatial positions (`pool: 'auto'` decides from the tensor's rank).
 */
export interface FeatureNode {
  readonly tensor: string;
  readonly scale?: string;
  readonly zeroPoint?: string;
  readonly pool?: FeaturePool;
}

/** `auto`: pool a 4-D tensor, keep a 2-D one; `average`: always GlobalAveragePool (4-D); `none`: use as is (2-D). */
export const FEATURE_POOLS = ['auto', 'average', 'none'] as const;
export type FeaturePool = (typeof FEATURE_POOLS)[number];

/** One feature node or several: their (pooled) features are concatenated in order. */
export type FeatureNodes = FeatureNode | readonly FeatureNode[];

export function featureNodeList(nodes: FeatureNodes): readonly FeatureNode[] {
  const list = Array.isArray(nodes) ? (nodes as readonly FeatureNode[]) : [nodes as FeatureNode];
  if (list.length === 0) throw new Error('feature_node: an empty list names no features; give at least one tensor');
  return list;
}

export const DENSE_ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'elu'] as const;
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

/** One trained dense layer, in the tfjs `Dense` layout: `y = act(x · kernel + bias)`. */
export interface DenseLayer {
  readonly inDim: number;
  readonly outDim: number;
  /** Row-major `[inDim][outDim]` (tfjs Dense kernel layout; ONNX Gemm `B` with transB = 0). */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly activation: DenseActivation;
}
