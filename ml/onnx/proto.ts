/**
 * ONNX protobuf in code: decode, edit and encode models with the generated `onnx-proto` classes
 * (protobufjs). Helpers build nodes, initializers and value infos with less ceremony.
 */
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type NodeProto = onnxProto.onnx.NodeProto;
export type TensorProto = onnxProto.onnx.TensorProto;
/** The plain-object shapes protobufjs uses for nested messages (what `model.graph`, `graph.node` ... hold). */
export type IGraphProto = onnxProto.onnx.IGraphProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A float32 initializer. `dims` in ONNX order (row-major). */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`tensor ${name}: ${data.length} values for dims [${dims.join(',')}]`);
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  });
}

/** An int64 initializer (shapes for Reshape, axes, ...). */
export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: DataType.INT64, int64Data: [...values] });
}

type AttrValue = number | string | readonly number[];

/** A node; integer-valued numbers become INT attributes, other numbers FLOAT, arrays INTS. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attrs: Readonly<Record<string, AttrValue>> = {},
  floatAttrs: readonly string[] = [],
): NodeProto {
  const attribute = Object.entries(attrs).map(([key, v]) => {
    if (typeof v === 'string') return onnx.AttributeProto.create({ name: key, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) });
    if (Array.isArray(v)) return onnx.AttributeProto.create({ name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: [...v] });
    const n = v as number;
    if (Number.isInteger(n) && !floatAttrs.includes(key)) return onnx.AttributeProto.create({ name: key, type: onnx.AttributeProto.AttributeType.INT, i: n });
    return onnx.AttributeProto.create({ name: key, type: onnx.AttributeProto.AttributeType.FLOAT, f: n });
  });
  return onnx.NodeProto.create({ opType, input: [...inputs], output: [...outputs], name, attribute });
}

/** A graph input/output description; a string dim is symbolic (e.g. 'N' for a dynamic batch). */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): onnxProto.onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

/** Sets (or replaces) string metadata entries on a model. */
export function setMetadata(model: ModelProto, entries: Readonly<Record<string, string>>): void {
  const kept = (model.metadataProps ?? []).filter((p) => !(p.key! in entries));
  model.metadataProps = [...kept, ...Object.entries(entries).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }))];
}

/** Reads string metadata entries from a model. */
export function getMetadata(model: ModelProto): Record<string, string> {
  return Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

/** The values of an initializer as numbers (FLOAT, UINT8, INT8, INT32, INT64), from raw_data or the typed fields. */
export function tensorValues(t: ITensorProto): Float64Array {
  const count = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  const out = new Float64Array(count);
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  for (let i = 0; i < count; i++) {
    switch (t.dataType) {
      case DataType.FLOAT:
        out[i] = view ? view.getFloat32(i * 4, true) : t.floatData![i]!;
        break;
      case DataType.UINT8:
        out[i] = view ? view.getUint8(i) : t.int32Data![i]!;
        break;
      case DataType.INT8:
        out[i] = view ? view.getInt8(i) : t.int32Data![i]!;
        break;
      case DataType.INT32:
        out[i] = view ? view.getInt32(i * 4, true) : t.int32Data![i]!;
        break;
      case DataType.INT64:
        out[i] = view ? Number(view.getBigInt64(i * 8, true)) : Number(t.int64Data![i]);
        break;
      default:
        throw new Error(`tensor ${t.name}: data type ${t.dataType} not supported`);
    }
  }
  return out;
}

/** The initializer called `name` (throws naming it if absent). */
export function initializer(model: ModelProto, name: string): ITensorProto {
  const t = model.graph?.initializer?.find((x) => x.name === name);
  if (!t) throw new Error(`model has no initializer '${name}'`);
  return t;
}
