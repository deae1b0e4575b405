/**
 * Export: one self-contained ONNX model = backbone up to its feature node + the trained dense head.
 * Input `images` float32 [N,3,224,224] (dynamic batch), output `logits` float32 [N,C], and with `featuresOutput`
 * a second output float32 [N,D]: the head's input (the backbone's penultimate features, flip-averaged with TTA),
 * which monitoring projects into its embedding space.
 */
import { appendDenseHead, checkDenseLayers, finishComposed } from './dense-head-nodes.ts';
import { addFeatureOutput } from './feature-output.ts';
import { addViewBranch } from './view-branch.ts';
import { decodeModel, encodeModel } from './proto.ts';
import type { DenseLayer, FeatureNodes } from './types.ts';

export interface ComposeHeadOptions {
  /** The backbone's graph input name (e.g. `input`). */
  readonly backboneInput: string;
  readonly featureNode: FeatureNodes;
  /** The head, first layer first; the last layer's output is the logits (use activation `linear`). */
  readonly layers: readonly DenseLayer[];
  readonly inputName?: string;
  readonly outputName?: string;
  /** Written to the model's metadata_props (labels, run id, preprocessing id ...). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Average the features of the image and its horizontal mirror before the head (= testTimeViews [center, flip]). */
  readonly testTimeFlip?: boolean;
  /** Views whose features are averaged before the head (test-time augmentation): center, flip, zoom<z>, zoom<z>_flip. */
  readonly testTimeViews?: readonly string[];
  /** Name of a second output carrying the head's input features (monitoring); none when absent. */
  readonly featuresOutput?: string;
}

/** Returns the encoded composed model. `backbone` is the original file's bytes (not modified). */
export function composeHeadModel(backbone: Uint8Array, opts: ComposeHeadOptions): Uint8Array {
  const inputName = opts.inputName ?? 'images';
  const outputName = opts.outputName ?? 'logits';
  const model = decodeModel(backbone);
  const graph = model.graph!;
  const input = graph.input?.find((i) => i.name === opts.backboneInput);
  if (!input) throw new Error(`composeHeadModel: the backbone has no input '${opts.backboneInput}' (inputs: ${(graph.input ?? []).map((i) => i.name).join(', ')})`);

  const featureTensor = '__head_features';
  const featureDim = addFeatureOutput(model, opts.featureNode, featureTensor);
  checkDenseLayers(opts.layers, featureDim, 'composeHeadModel');

  const itemDims = (input.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 0));
  const dim = featureDim ?? opts.layers[0]!.inDim;
  const views = opts.testTimeViews ?? (opts.testTimeFlip ? ['center', 'flip'] : ['center']);
  const headInput = addViewBranch(graph, opts.backboneInput, featureTensor, views, itemDims[2]!, dim);
  appendDenseHead(graph, headInput, opts.layers, outputName);
  finishComposed(model, {
    backboneInput: opts.backboneInput,
    inputName,
    itemDims,
    outputName,
    numClasses: opts.layers[opts.layers.length - 1]!.outDim,
    featuresOutput: opts.featuresOutput,
    featuresTensor: headInput,
    featuresDim: dim,
    producerVersion: 'compose-head/1',
    metadata: opts.metadata,
  });
  return encodeModel(model);
}
