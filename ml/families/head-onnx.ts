/** The head family's half of ONNX export: the trained Dense layers as plain arrays, in tfjs layout. */
import { DENSE_ACTIVATIONS, type DenseActivation, type DenseLayer } from '../onnx/types.ts';
import type { LayersModel } from './family.ts';

/** Extracts the Dense layers in order (dropout and the input layer carry no weights and are skipped). */
export function headLayers(model: LayersModel): DenseLayer[] {
  const out: DenseLayer[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (kind === 'InputLayer' || kind === 'Dropout') continue;
    if (kind !== 'Dense') throw new Error(`head export: layer '${layer.name}' is a ${kind}; only Dense and Dropout are exported`);
    out.push(denseLayer(layer));
  }
  if (out.length === 0) throw new Error('head export: the model has no Dense layer');
  return out;
}

/** One tfjs Dense layer as plain arrays (throws naming the layer when its activation cannot be exported). */
export function denseLayer(layer: LayersModel['layers'][number]): DenseLayer {
  const config = layer.getConfig() as { activation?: string; useBias?: boolean };
  const activation = config.activation ?? 'linear';
  if (!(DENSE_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new Error(`head export: layer '${layer.name}' has activation '${activation}'; supported: ${DENSE_ACTIVATIONS.join(', ')}`);
  }
  const [kernelT, biasT] = layer.getWeights();
  if (!kernelT || kernelT.shape.length !== 2) throw new Error(`head export: layer '${layer.name}' has no 2-d kernel`);
  const [inDim, outDim] = kernelT.shape as [number, number];
  const kernel = Float32Array.from(kernelT.dataSync());
  const bias = biasT && config.useBias !== false ? Float32Array.from(biasT.dataSync()) : new Float32Array(outDim);
  return { inDim, outDim, kernel, bias, activation: activation as DenseActivation };
}
