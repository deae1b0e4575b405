/**
 * The trained dense head as ONNX nodes, and the finishing touches every composed graph gets (the renamed image
 * input with a symbolic batch, the logits and monitoring `features` outputs, pruning): shared by the `head`
 * family's composer and the `finetune` one.
 */
import { pruneToOutputs } from './prune.ts';
import { DataType, floatTensor, node, setMetadata, valueInfo, type INodeProto, type ModelProto } from './proto.ts';
import { DENSE_ACTIVATIONS, type DenseLayer } from './types.ts';

const ACTIVATION_OP: Record<DenseLayer['activation'], string | undefined> = { linear: undefined, relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', elu: 'Elu' };

/** Checks the layers chain from `featureDim` (when known); `what` names the caller in errors. */
export function checkDenseLayers(layers: readonly DenseLayer[], featureDim: number | undefined, what: string): void {
  if (layers.length === 0) throw new Error(`${what}: the head has no layers (a linear classifier is one Dense layer)`);
  layers.forEach((l, i) => {
    const at = `${what}: layer ${i}`;
    if (!DENSE_ACTIVATIONS.includes(l.activation)) throw new Error(`${at}: unknown activation '${l.activation}' (expected ${DENSE_ACTIVATIONS.join(', ')})`);
    if (l.kernel.length !== l.inDim * l.outDim) throw new Error(`${at}: kernel has ${l.kernel.length} values, expected inDim x outDim = ${l.inDim} x ${l.outDim}`);
    if (l.bias.length !== l.outDim) throw new Error(`${at}: bias has ${l.bias.length} values, expected outDim = ${l.outDim}`);
    const prev = i === 0 ? featureDim : layers[i - 1]!.outDim;
    if (prev !== undefined && l.inDim !== prev) throw new Error(`${at}: inDim ${l.inDim} does not match the ${i === 0 ? 'backbone feature dim' : 'previous layer outDim'} ${prev}`);
  });
}

/** [rows][cols] -> [cols][rows]. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** Appends the head's Gemm (+ activation) nodes reading `x`; the last one writes `outputName`. */
export function appendDenseHead(graph: NonNullable<ModelProto['graph']>, x: string, layers: readonly DenseLayer[], outputName: string): void {
  const nodes: INodeProto[] = [];
  layers.forEach((l, i) => {
    const last = i === layers.length - 1;
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
}

export interface FinishOptions {
  readonly backboneInput: string;
  readonly inputName: string;
  readonly itemDims: readonly number[];
  readonly outputName: string;
  readonly numClasses: number;
  /** The monitoring output: an Identity of `featuresTensor` (`featuresDim` wide) under this name. */
  readonly featuresOutput?: string;
  readonly featuresTensor: string;
  readonly featuresDim: number;
  readonly producerVersion: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Renames the image input everywhere it is read, gives input and outputs one symbolic batch, adds the outputs,
 * drops what they do not need (the original 1000-class classifier) and stamps producer and metadata.
 */
export function finishComposed(model: ModelProto, o: FinishOptions): void {
  const graph = model.graph!;
  for (const n of graph.node ?? []) n.input = (n.input ?? []).map((name) => (name === o.backboneInput ? o.inputName : name));
  const inputInfo = valueInfo(o.inputName, DataType.FLOAT, ['N', ...o.itemDims]);
  graph.input = (graph.input ?? []).map((i) => (i.name === o.backboneInput ? inputInfo : i));
  graph.output = [...(graph.output ?? []), valueInfo(o.outputName, DataType.FLOAT, ['N', o.numClasses])];
  const outputs = [o.outputName];
  if (o.featuresOutput) {
    if (o.featuresOutput === o.outputName) throw new Error(`compose: featuresOutput '${o.featuresOutput}' is the logits' name; choose another (e.g. 'features')`);
    graph.node!.push(node('Identity', [o.featuresTensor], [o.featuresOutput], `${o.featuresOutput}_Identity`));
    graph.output.push(valueInfo(o.featuresOutput, DataType.FLOAT, ['N', o.featuresDim]));
    outputs.push(o.featuresOutput);
  }
  pruneToOutputs(model, outputs);
  model.producerName = 'food101-mlops';
  model.producerVersion = o.producerVersion;
  if (o.metadata) setMetadata(model, o.metadata);
}
