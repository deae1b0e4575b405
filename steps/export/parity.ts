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
import { preprocess, type PreprocessSpec } from '../../ml/preprocess/index.ts';
import { predictLogits } from '../../ml/training/model-io.ts';

export interface ParityInput {
  readonly tf: Tf;
  readonly model: tfjs.LayersModel;
  readonly onnx: Uint8Array;
  readonly images: readonly string[];
  readonly spec: PreprocessSpec;
  /** For feature families: the backbone whose features the head takes. Absent for pixel families. */
  readonly backbone?: Pick<Backbone, 'features'>;
  /** The head takes the mean of the features of the image and its mirror (TTA in the graph). */
  readonly testTimeFlip?: boolean;
}

/** The same NCHW batch mirrored along the width. */
function mirrored(batch: Float32Array, width: number): Float32Array {
  const out = new Float32Array(batch.length);
  for (let row = 0; row < batch.length; row += width) for (let x = 0; x < width; x++) out[row + x] = batch[row + width - 1 - x];
  return out;
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
    const feats = await p.backbone.features(batch, n);
    if (p.testTimeFlip) {
      const flipped = await p.backbone.features(mirrored(batch, s), n);
      for (let i = 0; i < feats.length; i++) feats[i] = (feats[i] + flipped[i]) / 2;
    }
    reference = predictLogits(p.tf, p.model, feats, n);
  } else {
    reference = predictLogits(p.tf, p.model, nchwToNhwc(batch, n, 3, s, s), n);
  }
  if (reference.length !== onnxLogits.length) throw new Error(`parity: ONNX gives ${onnxLogits.length} logits, tfjs ${reference.length}`);
  let maxAbsDiff = 0;
  for (let i = 0; i < reference.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(reference[i] - onnxLogits[i]));
  return { maxAbsDiff, n };
}
