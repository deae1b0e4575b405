/**
 * An architecture family: what a `family: <name>` entry under `architectures:` in the pipeline file means. The
 * family owns the entry's schema, builds the tfjs model for training and maps a trained model to ONNX. Families
 * are listed explicitly in `index.ts`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { type Static, type TSchema } from '../../runner/schema-builder.ts';
import type { TrainableTail } from '../onnx/dequantize-tail.ts';
import type { FeatureNodes } from '../onnx/types.ts';

export type Tf = typeof tfjs;
export type LayersModel = tfjs.LayersModel;

/** Shapes a model is built for. Feature families read `inputDim`; pixel families `inputSize` and `channels`. */
export interface BuildDims {
  readonly inputDim?: number;
  readonly inputSize?: number;
  readonly channels?: number;
  readonly numClasses: number;
  /** Base seed; each layer's initialiser gets its own seed derived from it. */
  readonly seed: number;
  /** Families with a `tap`: the backbone's layers after the tapped tensor, dequantized (their initial weights). */
  readonly backboneTail?: TrainableTail;
}

/** The pretrained backbone a feature head is composed onto (bytes of the ONNX model, its input, the feature node). */
export interface BackboneRef {
  readonly bytes: Uint8Array;
  /** Name of the backbone's image input. */
  readonly input: string;
  /** The node that holds the features the head was trained on (dequantized by the composer when quantized). */
  readonly featureNode: FeatureNodes;
}

export interface OnnxEnv {
  /** Required by families whose input is `features`. */
  readonly backbone?: BackboneRef;
  /** String metadata written into the ONNX model (labels, run id, preprocessing, ...). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Opset for standalone graphs (default 13). */
  readonly opset?: number;
  /** Feature families: average the features of the image and its mirror in the graph (test-time augmentation). */
  readonly testTimeFlip?: boolean;
  /** Feature families: the test-time views averaged in the graph (center, flip, zoom<z>, ...); overrides testTimeFlip. */
  readonly testTimeViews?: readonly string[];
}

export interface Family<S extends TSchema = TSchema> {
  readonly name: string;
  readonly description: string;
  /** JSON Schema (typebox) of one `architectures:` entry; always has `family: <name>` and no extra properties. */
  readonly schema: S;
  /** What the model consumes: frozen backbone features or preprocessed pixels (NHWC in tfjs). */
  readonly input: 'features' | 'pixels';
  /**
   * Feature families that read an intermediate backbone tensor rather than `backbone.feature_node`: the tensor's
   * name. Their inputs are that tensor, dequantized, NHWC-flattened (`positions x channels`), cached in a feature
   * space of their own, and `dims.backboneTail` carries the backbone layers after it.
   */
  tap?(spec: Static<S>): string;
  /** Builds an untrained model whose output is logits (no softmax). Method syntax keeps the registry assignable. */
  build(tf: Tf, spec: Static<S>, dims: BuildDims): LayersModel;
  /** ONNX bytes with input `images` float32 [N,3,S,S] and output `logits` [N,C]; `spec` is the trained entry. */
  toOnnx(model: LayersModel, env: OnnxEnv, spec?: Static<S>): Uint8Array;
}

/** Identity helper that keeps a family's schema type for `build`'s `spec` parameter. */
export function defineFamily<S extends TSchema>(family: Family<S>): Family<S> {
  return family;
}
