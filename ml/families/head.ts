/**
 * Family `head`: a small dense network trained on frozen backbone features. `layers: []` is a linear softmax
 * classifier; each `{ dense: n }` adds a hidden layer, each `{ dropout: r }` a dropout. The last Dense to
 * `numClasses` is always added and outputs logits. L2 (`weight_decay`) is applied by the trainer.
 */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { composeHeadModel } from '../onnx/compose-head.ts';
import { DENSE_ACTIVATIONS } from '../onnx/types.ts';
import { defineFamily, type Tf } from './family.ts';
import { headLayers } from './head-onnx.ts';
import { glorot } from './seeds.ts';

const DenseSpec = Type.Object(
  {
    dense: Type.Integer({ minimum: 1, maximum: 65536, description: 'Units of a hidden Dense layer.' }),
    activation: Type.Optional(StringEnum(DENSE_ACTIVATIONS, { description: 'Activation of the hidden layer (default relu).' })),
  },
  { additionalProperties: false, description: 'A hidden Dense layer: { dense: 256, activation: relu }.' },
);

const DropoutSpec = Type.Object(
  {
    dropout: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Fraction of inputs zeroed during training.' }),
  },
  { additionalProperties: false, description: 'A dropout layer: { dropout: 0.3 }.' },
);

/**
 * A hidden layer is one of two shapes. The pipeline validator reports an anyOf against the branch that fits the
 * data best, so `{ dropuot: 0.3 }` gets "did you mean 'dropout'?" rather than errors from both shapes.
 */
export const LayerSpec = Type.Union([DenseSpec, DropoutSpec], { description: 'A hidden layer: { dense: <units>, activation: <name> } or { dropout: <rate> }.' });

export const headSchema = Type.Object(
  {
    family: Type.Literal('head', { description: 'A dense head trained on frozen backbone features.' }),
    layers: Type.Optional(
      Type.Array(LayerSpec, {
        default: [],
        description: 'Hidden layers in order; the output Dense to the number of classes is added. Empty: a linear classifier.',
      }),
    ),
  },
  { additionalProperties: false, description: 'A head on the frozen backbone features: { family: head, layers: [...] }.' },
);
export type HeadSpec = Static<typeof headSchema>;

/** Appends the hidden layers of `layers` and the output Dense to `numClasses` logits (shared with `finetune`). */
export function addHead(tf: Tf, model: ReturnType<Tf['sequential']>, layers: HeadSpec['layers'] & object, numClasses: number, seed: number): void {
  layers.forEach((layer, i) => {
    const name = `${'dense' in layer ? 'hidden' : 'dropout'}_${i + 1}`;
    if ('dense' in layer) {
      model.add(tf.layers.dense({ name, units: layer.dense, activation: layer.activation ?? 'relu', kernelInitializer: glorot(tf, seed, name) }));
    } else {
      model.add(tf.layers.dropout({ name, rate: layer.dropout }));
    }
  });
  model.add(tf.layers.dense({ name: 'logits', units: numClasses, activation: 'linear', kernelInitializer: glorot(tf, seed, 'logits') }));
}

export const head = defineFamily({
  name: 'head',
  description: 'Dense layers on frozen backbone features (linear classifier when layers is empty).',
  schema: headSchema,
  input: 'features',
  build(tf, spec, dims) {
    if (!dims.inputDim) throw new Error('family head needs inputDim (the backbone feature size)');
    const model = tf.sequential({ name: 'head' });
    model.add(tf.layers.inputLayer({ inputShape: [dims.inputDim], name: 'features' }));
    addHead(tf, model, spec.layers ?? [], dims.numClasses, dims.seed);
    return model;
  },
  toOnnx(model, env) {
    if (!env.backbone) throw new Error('family head exports onto a backbone: pass env.backbone (bytes, input, featureNode)');
    return composeHeadModel(env.backbone.bytes, {
      backboneInput: env.backbone.input,
      featureNode: env.backbone.featureNode,
      layers: headLayers(model),
      inputName: 'images',
      outputName: 'logits',
      metadata: env.metadata,
      testTimeFlip: env.testTimeFlip,
      testTimeViews: env.testTimeViews,
      // The penultimate features as a second output: the server logs their projection for monitoring.
      featuresOutput: 'features',
    });
  },
});
