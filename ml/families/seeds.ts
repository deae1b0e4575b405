/** Per-layer initialiser seeds derived from the run's seed, so the same seed builds the same weights. */
import type { Tf } from './family.ts';
import { seedFrom } from '../random.ts';

/** Glorot-uniform (the Keras default) seeded for one named layer. */
export function glorot(tf: Tf, seed: number, layerName: string) {
  return tf.initializers.glorotUniform({ seed: seedFrom(seed, 'init', layerName) });
}
