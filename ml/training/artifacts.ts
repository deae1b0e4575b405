/** A trained model as plain, transferable data (the tfjs `ModelArtifacts` with one weight buffer). */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../backends/select-backend.ts';
import type { TrainedArtifacts, WeightSpec } from './types.ts';

export async function modelArtifacts(tf: Tf, model: tfjs.LayersModel): Promise<TrainedArtifacts> {
  let captured: tfjs.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) throw new Error('model.save produced no artifacts');
  return {
    modelTopology: captured.modelTopology as object,
    weightSpecs: captured.weightSpecs as WeightSpec[],
    weightData: tf.io.CompositeArrayBuffer.join(captured.weightData),
  };
}

/** Rebuilds a LayersModel from artifacts with the given tf namespace. */
export function modelFromArtifacts(tf: Tf, artifacts: TrainedArtifacts): Promise<tfjs.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightData: artifacts.weightData }),
  );
}
