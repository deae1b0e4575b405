import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { addFeatureOutput, inferFeatureDim } from '../../../ml/onnx/feature-output.ts';
import { tensorRank } from '../../../ml/onnx/graph-shapes.ts';
import type { FeatureNode } from '../../../ml/onnx/types.ts';
import { DataType, decodeModel, encodeModel, floatTensor, node, onnx, valueInfo } from '../../../ml/onnx/proto.ts';
import { pruneToOutputs } from '../../../ml/onnx/prune.ts';
import { createSession } from '../../../ml/onnx/session.ts';
import { backboneFeatureNode, backbonePath } from '../../helpers/paths.ts';

/** x -> A: Relu -> a; a -> B: Neg -> b (output); x, w -> C: Mul -> c (output); an unused initializer. */
function toyModel() {
  return onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 12 }],
    graph: {
      name: 'toy',
      input: [valueInfo('x', DataType.FLOAT, ['N', 2]), valueInfo('unused_in', DataType.FLOAT, [1])],
      initializer: [floatTensor('w', [2], Float32Array.of(2, 3)), floatTensor('dead', [1], Float32Array.of(1))],
      node: [node('Relu', ['x'], ['a'], 'A'), node('Neg', ['a'], ['b'], 'B'), node('Mul', ['x', 'w'], ['c'], 'C')],
      output: [valueInfo('b', DataType.FLOAT, ['N', 2]), valueInfo('c', DataType.FLOAT, ['N', 2])],
    },
  });
}

describe('pruneToOutputs', () => {
  it('keeps only what the named outputs need', () => {
    const m = pruneToOutputs(toyModel(), ['c']);
    assert.deepEqual(m.graph!.node!.map((n) => n.name), ['C']);
    assert.deepEqual(m.graph!.initializer!.map((t) => t.name), ['w']);
    assert.deepEqual(m.graph!.input!.map((i) => i.name), ['x']);
    assert.deepEqual(m.graph!.output!.map((o) => o.name), ['c']);
    const m2 = pruneToOutputs(toyModel(), ['b']);
    assert.deepEqual(m2.graph!.node!.map((n) => n.name), ['A', 'B']);
    assert.deepEqual(m2.graph!.initializer, []);
  });

  it('refuses an output the graph does not declare', () => {
    assert.throws(() => pruneToOutputs(toyModel(), ['zz']), /cannot prune to \[zz\]: not graph outputs \(have b, c\)/);
  });

  it('still gives a model onnxruntime loads', async () => {
    const s = await createSession(encodeModel(pruneToOutputs(toyModel(), ['c'])));
    assert.deepEqual(s.inputNames, ['x']);
    assert.deepEqual(s.outputNames, ['c']);
    await s.release();
  });
});

describe('addFeatureOutput', () => {
  const bytes = fs.readFileSync(backbonePath);
  const onlyFeatures = async (fn: FeatureNode, x: ort.Tensor) => {
    const m = decodeModel(bytes);
    addFeatureOutput(m, fn);
    const s = await createSession(encodeModel(m));
    const out = (await s.run({ input: x }, ['features'])).features!.data as Float32Array;
    await s.release();
    return out;
  };

  it('adds a float32 [batch, 1280] features output and keeps the original output', async () => {
    const m = decodeModel(bytes);
    assert.equal(inferFeatureDim(m.graph!, '472_quantized'), 1280);
    assert.equal(inferFeatureDim(m.graph!, '464_quantized'), 1280);
    assert.equal(addFeatureOutput(m, backboneFeatureNode), 1280);
    const out = m.graph!.output!;
    assert.deepEqual(out.map((o) => o.name), ['output', 'features']);
    const dims = out[1]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepEqual(dims, ['batch_size', 1280]);
    assert.equal(out[1]!.type!.tensorType!.elemType, DataType.FLOAT);
    const s = await createSession(encodeModel(m));
    assert.deepEqual(s.outputNames, ['output', 'features']);
    await s.release();
  });

  it('names every missing tensor', () => {
    const m = decodeModel(bytes);
    assert.throws(
      () => addFeatureOutput(m, { tensor: '472_quantized', scale: 'nope_scale', zeroPoint: 'nope_zp' }),
      /feature_node names tensors the graph does not have: scale 'nope_scale', zero_point 'nope_zp'\./,
    );
  });

  it('pools a quantized NCHW map and concatenates several feature nodes in order', async () => {
    const m = decodeModel(bytes);
    const map320 = { tensor: '624_quantized', scale: '624_scale', zeroPoint: '624_zero_point' };
    assert.equal(tensorRank(m.graph!, '624_quantized'), 4);
    assert.equal(tensorRank(m.graph!, '472_quantized'), 2, 'the Reshape to a computed [N, -1] shape');
    assert.equal(addFeatureOutput(m, [backboneFeatureNode, map320]), 1600);
    const ops = m.graph!.node!.slice(-5).map((n) => n.opType);
    assert.deepEqual(ops, ['DequantizeLinear', 'DequantizeLinear', 'GlobalAveragePool', 'Flatten', 'Concat']);
    const s = await createSession(encodeModel(m));
    const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]);
    const [both, alone] = [(await s.run({ input: x }, ['features'])).features!, await onlyFeatures(backboneFeatureNode, x)];
    await s.release();
    assert.deepEqual(both.dims, [1, 1600]);
    assert.deepEqual([...(both.data as Float32Array).subarray(0, 1280)], [...alone], 'the first node comes first, unchanged');
  });

  it('says what to set when the pooling does not fit the tensor', () => {
    assert.throws(() => addFeatureOutput(decodeModel(bytes), { tensor: '627', pool: 'none' }), /'627' is 4-D \(NCHW\) but feature_node.pool is 'none'/);
    assert.throws(() => addFeatureOutput(decodeModel(bytes), { ...backboneFeatureNode, pool: 'average' }), /'472_quantized' is already \[N, dim\]/);
    assert.throws(() => addFeatureOutput(decodeModel(bytes), { tensor: '472_quantized', scale: '464_scale' }), /has a scale but no zero_point: give both for a quantized tensor, neither for a float one/);
  });

  it('refuses to shadow an existing tensor', () => {
    assert.throws(() => addFeatureOutput(decodeModel(bytes), backboneFeatureNode, 'output'), /already has a tensor of that name/);
  });
});
