/**
 * Family `finetune`: fine-tunes the top of the backbone together with a head. The backbone's layers after the
 * tapped tensor `from` (pointwise convolutions only: MobileNetV2's final 1x1 conv 320 -> 1280 with its ReLU6 from
 * `624_quantized`, plus the last block's 960 -> 320 projection from `621_quantized`) start from the ONNX file's
 * own weights, dequantized, and train as Dense layers applied at each of the 7x7 positions (a [B*49, C] matmul:
 * wasm has no convolution gradients), followed by the global average pool and the head. Inputs are the tapped
 * tensor of each augmented view, cached in the feature store. Export: `compose-finetune.ts`.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { composeFinetuneModel, type PointwiseConv } from '../onnx/compose-finetune.ts';
import { trainableTail } from '../onnx/dequantize-tail.ts';
import { decodeModel } from '../onnx/proto.ts';
import { defineFamily, type LayersModel } from './family.ts';
import { addHead, LayerSpec } from './head.ts';
import { denseLayer } from './head-onnx.ts';

export const finetuneSchema = Type.Object(
  {
    family: Type.Literal('finetune', { description: 'Fine-tunes the backbone layers after `from`, and a head, on the training photos.' }),
    from: Type.String({
      pattern: '^[^\\s]+$',
      description: "The quantized backbone tensor whose following layers train: '624_quantized' (MobileNetV2-int8: final 1x1 conv) or '621_quantized' (also the last block's projection).",
    }),
    layers: Type.Optional(Type.Array(LayerSpec, { default: [], description: 'Hidden layers of the head after the pool, as in family head. Empty: a linear classifier.' })),
    trainable: Type.Optional(
      StringEnum(['all', 'head'] as const, { default: 'all', description: "'all' trains the backbone layers and the head; 'head' freezes the backbone layers (a control run)." }),
    ),
  },
  { additionalProperties: false, description: 'Fine-tune the top of the backbone: { family: finetune, from: 624_quantized, layers: [...] }.' },
);
export type FinetuneSpec = Static<typeof finetuneSchema>;

const convName = (i: number) => `ft_conv_${i}`;

export const finetune = defineFamily({
  name: 'finetune',
  description: 'The backbone layers after a tapped tensor (dequantized 1x1 convs) and a dense head, trained together.',
  schema: finetuneSchema,
  input: 'features',
  tap: (spec) => spec.from,
  build(tf, spec, dims) {
    const tail = dims.backboneTail;
    if (!tail) throw new Error(`family finetune (from '${spec.from}'): build needs dims.backboneTail, the dequantized backbone layers after the tapped tensor`);
    if (tail.from.tensor !== spec.from) throw new Error(`family finetune: dims.backboneTail starts at '${tail.from.tensor}', the spec says from '${spec.from}'`);
    const channels = tail.from.channels;
    if (!dims.inputDim || dims.inputDim % channels !== 0) throw new Error(`family finetune: inputDim ${dims.inputDim} is not positions x ${channels} channels of '${spec.from}'`);
    const model = tf.sequential({ name: 'finetune' });
    model.add(tf.layers.inputLayer({ inputShape: [dims.inputDim], name: 'tapped' }));
    model.add(tf.layers.reshape({ targetShape: [dims.inputDim / channels, channels], name: 'positions' }));
    const trainable = (spec.trainable ?? 'all') === 'all';
    tail.convs.forEach((c, i) => {
      model.add(
        tf.layers.dense({
          name: convName(i),
          units: c.outChannels,
          activation: c.activation,
          trainable,
          weights: [tf.tensor2d(c.kernel, [c.inChannels, c.outChannels]), tf.tensor1d(c.bias)],
        }),
      );
    });
    model.add(tf.layers.globalAveragePooling1d({ name: 'pool' }));
    addHead(tf, model, spec.layers ?? [], dims.numClasses, dims.seed);
    return model;
  },
  toOnnx(model, env, spec) {
    if (!env.backbone) throw new Error('family finetune exports onto a backbone: pass env.backbone (bytes, input)');
    if (!spec) throw new Error("family finetune export needs the trained entry (its 'from' tensor): pass spec to toOnnx");
    const tail = trainableTail(decodeModel(env.backbone.bytes), spec.from);
    const { convs, head } = splitLayers(model);
    if (convs.length !== tail.convs.length) throw new Error(`finetune export: the model has ${convs.length} tuned convs, the backbone has ${tail.convs.length} after '${spec.from}'`);
    const inputDim = Number(model.inputs[0]!.shape[1]);
    const side = Math.round(Math.sqrt(inputDim / tail.from.channels));
    if (side * side * tail.from.channels !== inputDim) throw new Error(`finetune export: input ${inputDim} is not a square grid of ${tail.from.channels} channels`);
    return composeFinetuneModel(env.backbone.bytes, {
      backboneInput: env.backbone.input,
      from: { tensor: spec.from, scale: tail.from.scaleName, zeroPoint: tail.from.zeroPointName },
      side,
      convs,
      head,
      testTimeFlip: env.testTimeFlip,
      testTimeViews: env.testTimeViews,
      featuresOutput: 'features',
      metadata: env.metadata,
    });
  },
});

/** The tuned convs (`ft_conv_*`) and the head's Dense layers of a trained model. */
function splitLayers(model: LayersModel): { convs: PointwiseConv[]; head: ReturnType<typeof denseLayer>[] } {
  const convs: PointwiseConv[] = [];
  const head: ReturnType<typeof denseLayer>[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (['InputLayer', 'Reshape', 'Dropout', 'GlobalAveragePooling1D'].includes(kind)) continue;
    if (kind !== 'Dense') throw new Error(`finetune export: layer '${layer.name}' is a ${kind}; not exportable`);
    if (layer.name.startsWith('ft_conv_')) {
      const [k, b] = layer.getWeights();
      const [inChannels, outChannels] = k!.shape as [number, number];
      const activation = (layer.getConfig() as { activation?: string }).activation ?? 'linear';
      if (activation !== 'relu6' && activation !== 'relu' && activation !== 'linear') throw new Error(`finetune export: layer '${layer.name}' has activation '${activation}'`);
      convs.push({ inChannels, outChannels, kernel: Float32Array.from(k!.dataSync()), bias: Float32Array.from(b!.dataSync()), activation });
    } else {
      head.push(denseLayer(layer));
    }
  }
  return { convs, head };
}
