/**
 * Export: one self-contained ONNX model = backbone up to its feature node + the trained dense head.
 * Input `images` float32 [N,3,224,224] (dynamic batch), output `logits` float32 [N,C], and with `featuresOutput`
 * a second output float32 [N,D]: the head's input (the backbone's penultimate features, flip-averaged with TTA),
 * which monitoring projects into its embedding space.
 */
import { addFeatureOutput } from './feature-output.ts';
import { addViewBranch } from './view-branch.ts';
import { pruneToOutputs } from './prune.ts';
import { DataType, decodeModel, encodeModel, floatTensor, node, setMetadata, valueInfo, type INodeProto } from './proto.ts';
import { DENSE_ACTIVATIONS, type DenseLayer, type FeatureNodes } from './types.ts';

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

const ACTIVATION_OP: Record<DenseLayer['activation'], string | undefined> = { linear: undefined, relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', elu: 'Elu' };

function checkLayers(layers: readonly DenseLayer[], featureDim: number | undefined): void {
  if (layers.length === 0) throw new Error('composeHeadModel: the head has no layers (a linear classifier is one Dense layer)');
  layers.forEach((l, i) => {
    const at = `composeHeadModel: layer ${i}`;
    if (!DENSE_ACTIVATIONS.includes(l.activation)) throw new Error(`${at}: unknown activation '${l.activation}' (expected ${DENSE_ACTIVATIONS.join(', ')})`);
    if (l.kernel.length !== l.inDim * l.outDim) throw new Error(`${at}: kernel has ${l.kernel.length} values, expected inDim x outDim = ${l.inDim} x ${l.outDim}`);
    if (l.bias.length !== l.outDim) throw new Error(`${at}: bias has ${l.bias.length} values, expected outDim = ${l.outDim}`);
    const prev = i === 0 ? featureDim : layers[i - 1]!.outDim;
    if (prev !== undefined && l.inDim !== prev) throw new Error(`${at}: inDim ${l.inDim} does not match the ${i === 0 ? 'backbone feature dim' : 'previous layer outDim'} ${prev}`);
  });
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
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
  checkLayers(opts.layers, featureDim);

  const itemDims = (input.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 0));
  const nodes: INodeProto[] = [];
  const views = opts.testTimeViews ?? (opts.testTimeFlip ? ['center', 'flip'] : ['center']);
  let x = addViewBranch(graph, opts.backboneInput, featureTensor, views, itemDims[2]!, featureDim ?? opts.layers[0]!.inDim);
  const headInput = x;
  opts.layers.forEach((l, i) => {
    const last = i === opts.layers.length - 1;
    const act = ACTIVATION_OP[l.activation];
    const gemmOut = last && !act ? outputName : `head_${i}_gemm`;
    // B stored [out, in] with transB=1 (the layout PyTorch exports): some runtimes (OpenCV dnn) accept only that.
    graph.initializer!.push(floatTensor(`head_${i}_kernel`, [l.outDim, l.inDim], transpose(l.kernel, l.inDim, l.outDim)), floatTensor(`head_${i}_bias`, [l.outDim], l.bias));
    nodes.push(node('Gemm', [x, `head_${i}_kernel`, `head_${i}_bias`], [gemmOut], `head_${i}_Gemm`, { transB: 1 }));
    x = gemmOut;
    if (act) {
      const actOut = last ? outputName : `head_${i}_${l.activation}`;
      nodes.push(node(act, [x], [actOut], `head_${i}_${act}`, act === 'Elu' ? { alpha: 1.0 } : {}, ['alpha']));
      x = actOut;
    }
  });
  graph.node = [...graph.node!, ...nodes];

  // Rename the input everywhere it is read, and give input and output the same symbolic batch.
  for (const n of graph.node) n.input = (n.input ?? []).map((name) => (name === opts.backboneInput ? inputName : name));
  const inputInfo = valueInfo(inputName, DataType.FLOAT, ['N', ...itemDims]);
  graph.input = (graph.input ?? []).map((i) => (i.name === opts.backboneInput ? inputInfo : i));
  graph.output = [...(graph.output ?? []), valueInfo(outputName, DataType.FLOAT, ['N', opts.layers[opts.layers.length - 1]!.outDim])];
  const outputs = [outputName];
  if (opts.featuresOutput) {
    if (opts.featuresOutput === outputName) throw new Error(`composeHeadModel: featuresOutput '${opts.featuresOutput}' is the logits' name; choose another (e.g. 'features')`);
    graph.node.push(node('Identity', [headInput], [opts.featuresOutput], `${opts.featuresOutput}_Identity`));
    graph.output.push(valueInfo(opts.featuresOutput, DataType.FLOAT, ['N', featureDim ?? opts.layers[0]!.inDim]));
    outputs.push(opts.featuresOutput);
  }

  // Drops the original 1000-class classifier and anything else the outputs do not need.
  pruneToOutputs(model, outputs);
  model.producerName = 'food101-mlops';
  model.producerVersion = 'compose-head/1';
  if (opts.metadata) setMetadata(model, opts.metadata);
  return encodeModel(model);
}
