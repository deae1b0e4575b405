/** Shared shapes of the ONNX tooling: where the backbone's features live, and a trained dense layer. */

/**
 * The quantized tensor that holds the backbone's penultimate features, with its scale and zero point
 * (for MobileNetV2-int8: `472_quantized`, `464_scale`, `464_zero_point`).
 */
export interface FeatureNode {
  readonly tensor: string;
  readonly scale: string;
  readonly zeroPoint: string;
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
