/**
 * Export of a `finetune` model: one ONNX graph = the backbone truncated at the tapped tensor (`from`), dequantized,
 * then the fine-tuned pointwise convolutions as float `Conv` 1x1 (+ ReLU6 as `Relu(x) - Relu(x - 6)`, `Relu`), a
 * `GlobalAveragePool`, and the dense head. Input `images` [N,3,S,S], outputs `logits` [N,C] and `features`
 * [N,D] (the pooled output of the tuned convs, for monitoring). With test-time flip the backbone runs once over
 * [images; mirrored] and the two dequantized tapped tensors are averaged before the convs: exactly what training
 * and evaluation feed the tfjs model (the mean of the views' tapped tensors).
 */
import { appendDenseHead, checkDenseLayers, finishComposed, transpose } from './dense-head-nodes.ts';
import { addViewBranch } from './view-branch.ts';
import { decodeModel, encodeModel, floatTensor, int64Tensor, node } from './proto.ts';
import type { DenseLayer } from './types.ts';

/** A tuned pointwise conv in the tfjs Dense layout (`kernel` [in][out]). */
export interface PointwiseConv {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly activation: 'relu6' | 'relu' | 'linear';
}

export interface ComposeFinetuneOptions {
  readonly backboneInput: string;
  /** The tapped quantized tensor, its scale and zero point (initializer names). */
  readonly from: { readonly tensor: string; readonly scale: string; readonly zeroPoint: string };
  /** Spatial side of the tapped tensor (7 for MobileNetV2 at 224). */
  readonly side: number;
  readonly convs: readonly PointwiseConv[];
  readonly head: readonly DenseLayer[];
  readonly testTimeFlip?: boolean;
  /** Views averaged before the convs (overrides testTimeFlip): center, flip, zoom<z>, zoom<z>_flip. */
  readonly testTimeViews?: readonly string[];
  readonly featuresOutput?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function composeFinetuneModel(backbone: Uint8Array, o: ComposeFinetuneOptions): Uint8Array {
  const model = decodeModel(backbone);
  const graph = model.graph!;
  const input = graph.input?.find((i) => i.name === o.backboneInput);
  if (!input) throw new Error(`composeFinetuneModel: the backbone has no input '${o.backboneInput}' (inputs: ${(graph.input ?? []).map((i) => i.name).join(', ')})`);
  if (o.convs.length === 0) throw new Error('composeFinetuneModel: no convolutions to export');
  o.convs.forEach((c, i) => {
    if (c.kernel.length !== c.inChannels * c.outChannels || c.bias.length !== c.outChannels) throw new Error(`composeFinetuneModel: conv ${i} has ${c.kernel.length} kernel / ${c.bias.length} bias values for ${c.inChannels} -> ${c.outChannels}`);
    if (i > 0 && o.convs[i - 1]!.outChannels !== c.inChannels) throw new Error(`composeFinetuneModel: conv ${i} takes ${c.inChannels} channels, conv ${i - 1} gives ${o.convs[i - 1]!.outChannels}`);
  });
  const pooledDim = o.convs[o.convs.length - 1]!.outChannels;
  checkDenseLayers(o.head, pooledDim, 'composeFinetuneModel');
  const itemDims = (input.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 0));
  const c0 = o.convs[0]!.inChannels;

  graph.node = [...(graph.node ?? []), node('DequantizeLinear', [o.from.tensor, o.from.scale, o.from.zeroPoint], ['ft_from'], 'ft_from_DequantizeLinear')];
  let x = 'ft_from';
  const views = o.testTimeViews ?? (o.testTimeFlip ? ['center', 'flip'] : ['center']);
  if (views.length > 1 || views[0] !== 'center') {
    // The view branch averages [V*N, D] rows: flatten the [2N, C, H, W] tensor for it and restore the shape after.
    const side = o.side;
    graph.initializer!.push(int64Tensor('ft_flat_shape', [0, -1]), int64Tensor('ft_grid_shape', [-1, c0, side, side]));
    graph.node.push(node('Reshape', [x, 'ft_flat_shape'], ['ft_from_flat'], 'ft_from_flatten'));
    const mean = addViewBranch(graph, o.backboneInput, 'ft_from_flat', views, itemDims[2]!, c0 * side * side);
    graph.node.push(node('Reshape', [mean, 'ft_grid_shape'], ['ft_from_mean'], 'ft_from_grid'));
    x = 'ft_from_mean';
  }
  o.convs.forEach((c, i) => {
    graph.initializer!.push(floatTensor(`ft_conv_${i}_W`, [c.outChannels, c.inChannels, 1, 1], transpose(c.kernel, c.inChannels, c.outChannels)), floatTensor(`ft_conv_${i}_B`, [c.outChannels], c.bias));
    graph.node!.push(node('Conv', [x, `ft_conv_${i}_W`, `ft_conv_${i}_B`], [`ft_conv_${i}`], `ft_conv_${i}_Conv`, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0] }));
    x = `ft_conv_${i}`;
    if (c.activation === 'relu6') {
      // ReLU6 as relu(x) - relu(x - 6), not Clip: since opset 11 Clip takes its bounds as inputs, and OpenCV's dnn
      // (the original project's serving stack) refuses a Clip with three inputs. Exact for x <= 12 (Sterbenz), within
      // an ulp of x above.
      graph.initializer!.push(floatTensor(`ft_conv_${i}_six`, [], new Float32Array([6])));
      graph.node!.push(
        node('Relu', [x], [`${x}_pos`], `ft_conv_${i}_Relu`),
        node('Sub', [x, `ft_conv_${i}_six`], [`${x}_minus6`], `ft_conv_${i}_Sub6`),
        node('Relu', [`${x}_minus6`], [`${x}_over6`], `ft_conv_${i}_Relu6`),
        node('Sub', [`${x}_pos`, `${x}_over6`], [`${x}_relu6`], `ft_conv_${i}_Clip6`),
      );
      x = `${x}_relu6`;
    } else if (c.activation === 'relu') {
      graph.node!.push(node('Relu', [x], [`${x}_relu`], `ft_conv_${i}_Relu`));
      x = `${x}_relu`;
    }
  });
  graph.node.push(node('GlobalAveragePool', [x], ['ft_pooled_grid'], 'ft_GlobalAveragePool'), node('Flatten', ['ft_pooled_grid'], ['ft_pooled'], 'ft_pooled_Flatten', { axis: 1 }));
  appendDenseHead(graph, 'ft_pooled', o.head, 'logits');
  finishComposed(model, {
    backboneInput: o.backboneInput,
    inputName: 'images',
    itemDims,
    outputName: 'logits',
    numClasses: o.head[o.head.length - 1]!.outDim,
    featuresOutput: o.featuresOutput,
    featuresTensor: 'ft_pooled',
    featuresDim: pooledDim,
    producerVersion: 'compose-finetune/2',
    metadata: o.metadata,
  });
  return encodeModel(model);
}
