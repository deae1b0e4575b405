/**
 * The export parity check: the exported ONNX file, run by onnxruntime-node on preprocessed test photos, must give
 * the same logits as the path the model was trained and evaluated on (backbone features from onnxruntime, then the
 * tfjs head; or the tfjs net on pixels), within a tolerance. The stage fails otherwise.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../../ml/backends/select-backend.ts';
import { nchwToNhwc } from '../../ml/families/cnn.ts';
import type { Backbone } from '../../ml/onnx/backbone.ts';
import { createSession, runLogits } from '../../ml/onnx/session.ts';
import { preprocess, viewsOfBatch, type PreprocessSpec } from '../../ml/preprocess/index.ts';
import { predictLogits } from '../../ml/training/model-io.ts';

export interface ParityInput {
  readonly tf: Tf;
  readonly model: tfjs.LayersModel;
  readonly onnx: Uint8Array;
  readonly images: readonly string[];
  readonly spec: PreprocessSpec;
  /** For feature families: the backbone whose features the head takes. Absent for pixel families. */
  readonly backbone?: Pick<Backbone, 'features'>;
  /** The head takes the mean of the features of these views of each image (TTA in the graph); default [center]. */
  readonly testTimeViews?: readonly string[];
}

export async function parityCheck(p: ParityInput): Promise<{ maxAbsDiff: number; n: number }> {
  const s = p.spec.crop;
  const per = 3 * s * s;
  const n = p.images.length;
  const batch = new Float32Array(n * per);
  for (const [i, img] of p.images.entries()) batch.set(await preprocess(img, p.spec), i * per);
  const session = await createSession(p.onnx, { intraOpNumThreads: 2 });
  let onnxLogits: Float32Array;
  try {
    onnxLogits = (await runLogits(session, 'images', batch, n, [3, s, s], 'logits')).data;
  } finally {
    await session.release();
  }
  let reference: Float32Array;
  if (p.backbone) {
    const views = p.testTimeViews ?? ['center'];
    let feats: Float32Array | undefined;
    for (const view of views) {
      const f = await p.backbone.features(viewsOfBatch(batch, n, s, view), n);
      feats ??= new Float32Array(f.length);
      for (let i = 0; i < feats.length; i++) feats[i] += f[i]! / views.length;
    }
    reference = predictLogits(p.tf, p.model, feats!, n);
  } else {
    reference = predictLogits(p.tf, p.model, nchwToNhwc(batch, n, 3, s, s), n);
  }
  if (reference.length !== onnxLogits.length) throw new Error(`parity: ONNX gives ${onnxLogits.length} logits, tfjs ${reference.length}`);
  let maxAbsDiff = 0;
  for (let i = 0; i < reference.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(reference[i] - onnxLogits[i]));
  return { maxAbsDiff, n };
}
