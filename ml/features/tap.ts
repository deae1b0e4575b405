/**
 * A tap on an intermediate backbone tensor (the input of the layers a `finetune` architecture trains), e.g. the
 * 7x7x320 uint8 `624_quantized` of MobileNetV2-int8. Vectors go into the feature store as the graph holds them,
 * quantized: one byte per value (15,680 bytes per view instead of 62,720 as float32), packed four to a float32
 * slot because the store keeps float32 rows. The feature space is the backbone's with the tensor name appended
 * to the preprocessing id, so each tap is a feature space of its own. `dequantize` turns packed rows into float
 * `(q - zero_point) * scale`, laid out NHWC (position-major): the layout the trained dense layers read.
 */
import ort from 'onnxruntime-node';
import { trainableTail, type TrainableTail } from '../onnx/dequantize-tail.ts';
import { pruneToOutputs } from '../onnx/prune.ts';
import { DataType, decodeModel, encodeModel, valueInfo } from '../onnx/proto.ts';
import { createSession } from '../onnx/session.ts';
import type { FeatureSpace } from './feature-store-port.ts';

export interface Tap {
  readonly sha256: string;
  readonly tail: TrainableTail;
  readonly channels: number;
  /** Spatial positions (H x W) of the tensor: 49 for 7x7. */
  readonly positions: number;
  /** Float32 slots of a packed row (what the feature store holds per view). */
  readonly dim: number;
  /** `n` NCHW images -> `n` packed rows (`dim` float32 slots each). */
  features(batch: Float32Array, n: number): Promise<Float32Array>;
  /** `n` NCHW images -> `n` dequantized NHWC rows (`positions x channels` floats each): what the model reads. */
  floatFeatures(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The feature space of a tap: the backbone's space with the tensor named in the preprocessing id. */
export function tapSpace(space: FeatureSpace, from: string): FeatureSpace {
  return { backboneSha256: space.backboneSha256, preprocessingId: `${space.preprocessingId}|tap=${from}:u8` };
}

/** Packed slots for `values` bytes (rounded up to whole float32 slots). */
const slotsFor = (values: number) => Math.ceil(values / 4);

/** Opens a session that returns the raw quantized tensor `from` (the rest of the graph is pruned away). */
export async function openTap(bytes: Uint8Array, opts: { sha256: string; input: string; from: string; threads?: number }): Promise<Tap> {
  const model = decodeModel(bytes);
  const tail = trainableTail(model, opts.from);
  const graph = model.graph!;
  const inputInfo = graph.input?.find((i) => i.name === opts.input);
  if (!inputInfo) throw new Error(`finetune tap: the backbone has no input '${opts.input}' (inputs: ${(graph.input ?? []).map((i) => i.name).join(', ')})`);
  const itemDims = (inputInfo.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 0));
  graph.output = [...(graph.output ?? []), valueInfo(opts.from, DataType.UINT8, ['N', tail.from.channels, 'h', 'w'])];
  pruneToOutputs(model, [opts.from]);
  const session = await createSession(encodeModel(model), { intraOpNumThreads: opts.threads });
  const per = itemDims.reduce((a, b) => a * b, 1);
  const run = async (batch: Float32Array, n: number): Promise<Uint8Array> => {
    const view = batch.length === n * per ? batch : batch.subarray(0, n * per);
    const out = await session.run({ [opts.input]: new ort.Tensor('float32', view, [n, ...itemDims]) }, [opts.from]);
    return out[opts.from]!.data as Uint8Array;
  };
  const probe = await run(new Float32Array(per), 1);
  const values = probe.length;
  if (values % tail.from.channels !== 0) throw new Error(`finetune tap: '${opts.from}' has ${values} values per image, not a multiple of its ${tail.from.channels} channels`);
  const dim = slotsFor(values);
  const features = async (batch: Float32Array, n: number): Promise<Float32Array> => {
    const q = await run(batch, n);
    const packed = new Float32Array(n * dim);
    const target = new Uint8Array(packed.buffer);
    for (let i = 0; i < n; i++) target.set(q.subarray(i * values, (i + 1) * values), i * dim * 4);
    return packed;
  };
  const shape = { tail, channels: tail.from.channels, positions: values / tail.from.channels, dim };
  return {
    sha256: opts.sha256,
    ...shape,
    features,
    floatFeatures: async (batch, n) => dequantizeRows(await features(batch, n), n, shape),
    dispose: () => session.release(),
  };
}

/**
 * Packed rows (`rows` x `tap.dim` slots, NCHW bytes) -> float32 rows of `positions x channels` (NHWC), each value
 * `(q - zero_point) * scale`.
 */
export function dequantizeRows(packed: Float32Array, rows: number, tap: Pick<Tap, 'channels' | 'positions' | 'dim' | 'tail'>): Float32Array {
  const { channels: c, positions: p, dim } = tap;
  const { scale, zeroPoint } = tap.tail.from;
  const bytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
  const table = new Float32Array(256);
  for (let q = 0; q < 256; q++) table[q] = (q - zeroPoint) * scale;
  const out = new Float32Array(rows * p * c);
  for (let r = 0; r < rows; r++) {
    const src = r * dim * 4;
    const dst = r * p * c;
    for (let ch = 0; ch < c; ch++) for (let pos = 0; pos < p; pos++) out[dst + pos * c + ch] = table[bytes[src + ch * p + pos]!]!;
  }
  return out;
}
