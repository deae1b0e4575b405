/**
 * A trained model on disk: `model.json` (the tfjs layers format: topology and weights manifest, plus what this
 * project needs to use it again: family, spec, classes, input shape) and `weights.bin`. Written to a temporary
 * sibling directory and renamed into place, so a reader never sees half a model.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { writeDirAtomic } from '../../lib/fs-atomic.ts';
import type { Tf } from '../backends/select-backend.ts';
import { modelFromArtifacts } from './artifacts.ts';
import type { TrainedArtifacts, WeightSpec } from './types.ts';

export const MODEL_FORMAT = 'food101-trained/1';

/** What a saved model says about itself, beside the tfjs topology. */
export interface TrainedMeta {
  readonly family: string;
  readonly spec: unknown;
  readonly numClasses: number;
  /** Feature families. */
  readonly inputDim?: number;
  /** Pixel families: [S, S, C] (NHWC). */
  readonly inputShape?: readonly [number, number, number];
}

interface ModelJson {
  format: string;
  meta: TrainedMeta;
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** Writes `dir/model.json` and `dir/weights.bin`, replacing `dir` atomically. */
export async function saveTrained(dir: string, artifacts: TrainedArtifacts, meta: TrainedMeta): Promise<void> {
  const json: ModelJson = {
    format: MODEL_FORMAT,
    meta,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  await writeDirAtomic(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'weights.bin'), new Uint8Array(artifacts.weightData));
    fs.writeFileSync(path.join(tmp, 'model.json'), `${JSON.stringify(json)}\n`);
  });
}

/** Reads a saved model's artifacts and meta without building it (no tf needed). */
export function readTrained(dir: string): { artifacts: TrainedArtifacts; meta: TrainedMeta } {
  const file = path.join(dir, 'model.json');
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
  } catch (err) {
    throw new Error(`cannot read trained model ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (json.format !== MODEL_FORMAT) throw new Error(`${file}: format '${json.format}' is not '${MODEL_FORMAT}'`);
  const manifest = json.weightsManifest[0];
  if (!manifest || json.weightsManifest.length !== 1) throw new Error(`${file}: expected one weights group`);
  const bytes = fs.readFileSync(path.join(dir, manifest.paths[0] ?? 'weights.bin'));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { artifacts: { modelTopology: json.modelTopology, weightSpecs: manifest.weights, weightData }, meta: json.meta };
}

/** Loads a saved model into `tf` (any backend) with its meta. */
export async function loadTrained(dir: string, tf: Tf): Promise<{ model: tfjs.LayersModel; meta: TrainedMeta }> {
  const { artifacts, meta } = readTrained(dir);
  return { model: await modelFromArtifacts(tf, artifacts), meta };
}

/**
 * Logits for `n` samples packed row-major in `x` (features: n x d; pixels: n x S x S x C), `batch` at a time.
 * Returns n x numClasses, row-major. Each batch is copied out of `x`, so `x` may live in a SharedArrayBuffer.
 */
export function predictLogits(tf: Tf, model: tfjs.LayersModel, x: Float32Array, n: number, batch = 1024): Float32Array {
  const sample = (model.inputs[0]!.shape as (number | null)[]).slice(1) as number[];
  const per = sample.reduce((a, b) => a * b, 1);
  if (x.length < n * per) throw new Error(`predictLogits: x has ${x.length} values, expected ${n} x ${per}`);
  const classes = (model.outputs[0]!.shape as (number | null)[]).at(-1)!;
  const out = new Float32Array(n * classes);
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const logits = tf.tidy(() => model.predict(tf.tensor(x.slice(start * per, (start + m) * per), [m, ...sample])) as tfjs.Tensor);
    out.set(logits.dataSync() as Float32Array, start * classes);
    logits.dispose();
  }
  return out;
}
