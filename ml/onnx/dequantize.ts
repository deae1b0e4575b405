/**
 * int8 ONNX -> float: dequantized weights of one layer, or a whole quantized (QDQ/QLinear) graph rewritten as its
 * float equivalent. The float graph keeps every tensor name and the saturation of each quantized output (a `Clip`
 * to the range its uint8/int8 type can hold: that is how the int8 export fused ReLU6), so it computes what the int8
 * model computes without the rounding. Uses: a float backbone built from the one we have, and float weights to
 * train the last layers of the backbone from.
 */
import { DataType, floatTensor, node, tensorValues, type IGraphProto, type INodeProto, type ITensorProto, type ModelProto, onnx } from './proto.ts';
import { pruneToOutputs } from './prune.ts';

/** A float tensor: ONNX dims and row-major values. */
export interface FloatArray {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/**
 * `(q - zeroPoint) * scale`, per tensor (scalar scale) or per slice along `axis` (one scale per index of that axis:
 * axis 0 for convolution weights `[out, in, kh, kw]`, the last axis for MatMul weights `[in, out]`).
 */
export function dequantizeTensor(q: ITensorProto, scale: ITensorProto, zeroPoint: ITensorProto | undefined, axis = 0): FloatArray {
  const dims = (q.dims ?? []).map(Number);
  const values = tensorValues(q);
  const s = tensorValues(scale);
  const zp = zeroPoint ? tensorValues(zeroPoint) : new Float64Array(s.length);
  if (zp.length !== s.length) throw new Error(`dequantize ${q.name}: ${s.length} scales but ${zp.length} zero points`);
  const data = new Float32Array(values.length);
  if (s.length === 1) {
    for (let i = 0; i < values.length; i++) data[i] = (values[i]! - zp[0]!) * s[0]!;
    return { dims, data };
  }
  if (dims[axis] !== s.length) throw new Error(`dequantize ${q.name}: ${s.length} scales for axis ${axis} of dims [${dims.join(',')}]`);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % s.length;
    data[i] = (values[i]! - zp[c]!) * s[c]!;
  }
  return { dims, data };
}

function initializers(graph: IGraphProto): Map<string, ITensorProto> {
  return new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
}

function need(inits: Map<string, ITensorProto>, name: string | undefined, at: string): ITensorProto {
  const t = inits.get(name ?? '');
  if (!t) throw new Error(`dequantize: ${at} reads '${name}', which is not an initializer (only constant weights can be dequantized)`);
  return t;
}

/** A QLinearConv's float weight `[out, in/group, kh, kw]` and bias `[out]` (bias scale = input scale x weight scale). */
export function dequantizedConv(model: ModelProto, output: string): { weight: FloatArray; bias: Float32Array; node: INodeProto } {
  const graph = model.graph!;
  const n = (graph.node ?? []).find((x) => (x.output ?? []).includes(output));
  if (!n || n.opType !== 'QLinearConv') throw new Error(`dequantizedConv: '${output}' is ${n ? `made by a ${n.opType}` : 'not made by any node'}; expected a QLinearConv output`);
  const inits = initializers(graph);
  const [, xScale, , w, wScale, wZp, , , b] = n.input ?? [];
  const at = `QLinearConv ${n.name || output}`;
  const weight = dequantizeTensor(need(inits, w, at), need(inits, wScale, at), inits.get(wZp ?? ''), 0);
  const out = weight.dims[0]!;
  const bias = new Float32Array(out);
  if (b) {
    const xs = tensorValues(need(inits, xScale, at))[0]!;
    const ws = tensorValues(need(inits, wScale, at));
    const bq = tensorValues(need(inits, b, at));
    for (let c = 0; c < out; c++) bias[c] = bq[c]! * xs * ws[ws.length === 1 ? 0 : c]!;
  }
  return { weight, bias, node: n };
}

/** The float range a quantized output can hold: [(qmin - zp) * s, (qmax - zp) * s] for its uint8/int8 type. */
function saturation(inits: Map<string, ITensorProto>, scale: string | undefined, zeroPoint: string | undefined, at: string): [number, number] {
  const s = tensorValues(need(inits, scale, at))[0]!;
  const zpT = need(inits, zeroPoint, at);
  const zp = tensorValues(zpT)[0]!;
  const [lo, hi] = zpT.dataType === DataType.INT8 ? [-128, 127] : [0, 255];
  return [(lo - zp) * s, (hi - zp) * s];
}

/** Rewrites every QLinear/QDQ node of `model` as float ops (in place) and drops the quantization constants. */
export function dequantizeModel(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const inits = initializers(graph);
  const added: ITensorProto[] = [];
  let k = 0;
  const constant = (prefix: string, t: FloatArray) => {
    const name = `${prefix}__float${k++}`;
    added.push(floatTensor(name, t.dims, t.data));
    return name;
  };
  const clipped = (op: INodeProto, out: string, range: [number, number]): INodeProto[] => {
    const lo = constant(`${out}_min`, { dims: [], data: Float32Array.of(range[0]) });
    const hi = constant(`${out}_max`, { dims: [], data: Float32Array.of(range[1]) });
    return [op, node('Clip', [`${out}__unclipped`, lo, hi], [out], `${op.name}_saturate`)];
  };
  // An operand of a QLinear op: a constant is dequantized here, an activation is already float in the new graph.
  const operand = (name: string, scale: string, zp: string, axis: number) => (inits.has(name) ? constant(name, dequantizeTensor(inits.get(name)!, need(inits, scale, name), inits.get(zp), axis)) : name);

  const nodes: INodeProto[] = [];
  for (const n of graph.node ?? []) {
    const i = n.input ?? [];
    const out = (n.output ?? [])[0] ?? '';
    const at = `${n.opType} ${n.name || out}`;
    const name = n.name || out;
    switch (n.opType) {
      case 'QuantizeLinear':
        nodes.push(...clipped(node('Identity', [i[0]!], [`${out}__unclipped`], name), out, saturation(inits, i[1], i[2], at)));
        break;
      case 'DequantizeLinear':
        nodes.push(node('Identity', [i[0]!], [out], name));
        break;
      case 'QLinearConv': {
        const { weight, bias } = dequantizedConv(model, out);
        const conv = onnx.NodeProto.create({ opType: 'Conv', input: [i[0]!, constant(i[3]!, weight), constant(`${out}_bias`, { dims: [bias.length], data: bias })], output: [`${out}__unclipped`], name, attribute: n.attribute });
        nodes.push(...clipped(conv, out, saturation(inits, i[6], i[7], at)));
        break;
      }
      case 'QLinearAdd':
        nodes.push(...clipped(node('Add', [operand(i[0]!, i[1]!, i[2]!, 0), operand(i[3]!, i[4]!, i[5]!, 0)], [`${out}__unclipped`], name), out, saturation(inits, i[6], i[7], at)));
        break;
      case 'QLinearMatMul': {
        const b = need(inits, i[3], at);
        nodes.push(...clipped(node('MatMul', [i[0]!, operand(i[3]!, i[4]!, i[5]!, (b.dims ?? []).length - 1)], [`${out}__unclipped`], name), out, saturation(inits, i[6], i[7], at)));
        break;
      }
      case 'QLinearGlobalAveragePool':
        if (n.attribute?.some((a) => a.name === 'channels_last' && Number(a.i) !== 0)) throw new Error(`dequantize: ${at} is channels-last; only NCHW is supported`);
        nodes.push(...clipped(node('GlobalAveragePool', [i[0]!], [`${out}__unclipped`], name), out, saturation(inits, i[3], i[4], at)));
        break;
      default:
        if (n.opType?.startsWith('QLinear') || n.opType === 'ConvInteger' || n.opType === 'MatMulInteger') throw new Error(`dequantize: ${at} has no float rewrite yet; add one to ml/onnx/dequantize.ts`);
        nodes.push(n);
    }
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return pruneToOutputs(model, (graph.output ?? []).map((o) => o.name ?? ''));
}
