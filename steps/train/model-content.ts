/**
 * The content of a saved tfjs model (model.json + weights.bin) as one sha256: what later stages' keys depend on,
 * instead of the run id and directory that happened to hold it.
 */
import path from 'node:path';
import { hashValue, sha256FileSync } from '../../runner/hash.ts';

export function modelContentHash(modelDir: string): string {
  return hashValue(['model.json', 'weights.bin'].map((f) => sha256FileSync(path.join(modelDir, f)).sha256));
}
