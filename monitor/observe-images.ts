/**
 * Runs photos through a registered model exactly as the server does (the server's decode and header check, the
 * exported graph with its `features` output), giving per photo what the prediction log keeps plus the full
 * penultimate features. The reference profile is built from these, so reference and served windows are measured
 * by the same code on the same graph (test-time flip included).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { mapLimit } from '../lib/map-limit.ts';
import { computeImageStats, type ImageStats } from '../ml/monitoring/image-stats.ts';
import { createSession } from '../ml/onnx/session.ts';
import { resolvePreprocessSpec, type PreprocessSpec } from '../ml/preprocess/index.ts';
import { inspectImage } from '../server/image-check.ts';
import { serverTensor } from '../server/predictor.ts';
import { FEATURES_OUTPUT, outputRoles } from '../server/ort-session.ts';

/** One photo through the model. */
export interface ObservedPhoto {
  readonly file: string;
  readonly stats: ImageStats;
  readonly features: Float32Array;
  readonly probabilities: Float64Array;
  readonly predictedClass: string;
  readonly confidence: number;
}

/** An exported model's directory (model.onnx, labels.json, preprocessing.json), opened for observation. */
export interface ObservingModel {
  readonly labels: readonly string[];
  readonly spec: PreprocessSpec;
  observe(files: readonly string[], onProgress?: (done: number) => void): Promise<ObservedPhoto[]>;
  release(): Promise<void>;
}

const LIMITS = { maxPixels: 100e6, maxFullDecodePixels: 100e6 };

export async function openObservingModel(modelDir: string, opts: { threads?: number; batch?: number } = {}): Promise<ObservingModel> {
  const labels = JSON.parse(await fs.readFile(path.join(modelDir, 'labels.json'), 'utf8')) as string[];
  const spec = resolvePreprocessSpec(JSON.parse(await fs.readFile(path.join(modelDir, 'preprocessing.json'), 'utf8')) as Record<string, never>);
  const file = path.join(modelDir, 'model.onnx');
  const session = await createSession(file, { intraOpNumThreads: opts.threads ?? 2 });
  const roles = outputRoles(session.outputNames);
  if (!roles.features) {
    await session.release();
    throw new Error(`${file}: the model has no '${FEATURES_OUTPUT}' output (outputs: ${session.outputNames.join(', ')}); it was exported before monitoring or by a family without an embedding: re-run the export and register stages`);
  }
  const input = session.inputNames[0]!;
  const per = 3 * spec.crop * spec.crop;
  const batchSize = opts.batch ?? 16;
  return {
    labels,
    spec,
    async observe(files, onProgress) {
      const out: ObservedPhoto[] = [];
      for (let start = 0; start < files.length; start += batchSize) {
        const chunk = files.slice(start, start + batchSize);
        const prepared = await mapLimit(chunk, 4, async (f) => {
          const bytes = await fs.readFile(f);
          const header = await inspectImage(bytes, LIMITS);
          const { raw, tensor } = await serverTensor(bytes, spec, undefined, { size: header });
          return { stats: computeImageStats(raw, { format: header.format, byteSize: bytes.length, width: header.width, height: header.height }), tensor };
        });
        const batch = new Float32Array(chunk.length * per);
        prepared.forEach((p, i) => batch.set(p.tensor, i * per));
        const res = await session.run({ [input]: new ort.Tensor('float32', batch, [chunk.length, 3, spec.crop, spec.crop]) }, [roles.logits, roles.features!]);
        const logits = res[roles.logits]!.data as Float32Array;
        const feats = res[roles.features!]!.data as Float32Array;
        const k = labels.length;
        const d = feats.length / chunk.length;
        prepared.forEach((p, i) => {
          const row = logits.subarray(i * k, (i + 1) * k);
          let max = -Infinity;
          for (const v of row) max = Math.max(max, v);
          const probs = Float64Array.from(row, (v) => Math.exp(v - max));
          const sum = probs.reduce((a, b) => a + b, 0);
          let best = 0;
          for (let j = 0; j < k; j++) {
            probs[j]! /= sum;
            if (probs[j]! > probs[best]!) best = j;
          }
          out.push({ file: chunk[i]!, stats: p.stats, features: feats.slice(i * d, (i + 1) * d), probabilities: probs, predictedClass: labels[best]!, confidence: probs[best]! });
        });
        onProgress?.(out.length);
      }
      return out;
    },
    release: () => session.release(),
  };
}
