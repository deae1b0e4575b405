/** A small pipeline on part of the mini data set (3 classes, 30% of the photos, short training) for CLI tests. */
import fs from 'node:fs';
import path from 'node:path';
import { backbonePath, backboneSha256, miniDataDir } from './paths.ts';

/**
 * The part every small test pipeline shares: its name, pizza/steak/sushi at `fraction` of the mini photos, the
 * backbone and one linear head. Ends with a newline; the caller adds `stages:` (and anything else).
 */
export function smallPipelineHead(name: string, fraction: number): string {
  return `name: ${name}
data:
  root: ${JSON.stringify(miniDataDir)}
  subset: { classes: [pizza, steak, sushi], fraction: ${fraction}, seed: 1 }
backbone:
  path: ${JSON.stringify(backbonePath)}
  sha256: ${backboneSha256}
  feature_node: { tensor: 472_quantized, scale: 464_scale, zero_point: 464_zero_point }
architectures:
  linear: { family: head, layers: [] }
`;
}

/** Writes `<dir>/pipeline.yaml`; `lr` is the grid's learning rate(s) (a list gives more runs). */
export function writeSmallPipeline(dir: string, extra = '', lr = '0.01'): string {
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(
    file,
    `${smallPipelineHead('keys', 0.3)}stages:
  split: { step: split, with: { folds: 2 } }
  features: { step: features }
  grid: { step: grid, with: { architectures: [linear], params: { lr: ${lr}, epochs: 4, batch_size: 32 } } }
  train: { step: train }
  aggregate: { step: aggregate, with: { winner_by: test.accuracy } }
  export: { step: export, with: { parity_images: 2 } }
  register: { step: register, with: { model: keys_model } }
${extra}`,
  );
  return file;
}
