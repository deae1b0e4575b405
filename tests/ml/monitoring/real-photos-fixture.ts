/**
 * Real photos for the monitoring tests: the mini set's photos (as they are, darkened, inverted) turned into the
 * records the monitor sees, with the project's own decode (ml/preprocess) and backbone (ml/onnx/backbone.ts).
 * Embeddings are computed once per test file and cached in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { computeImageStats, readImageSource, type ImageStats } from '../../../ml/monitoring/image-stats.ts';
import { loadBackbone, type Backbone } from '../../../ml/onnx/backbone.ts';
import { centerBox, DEFAULT_PREPROCESS, decodeForViews, normalisationTables, toTensor } from '../../../ml/preprocess/index.ts';
import { backboneFeatureNode, backbonePath, backboneSha256, miniDataDir } from '../../helpers/paths.ts';

/** One photo after the monitor's view of it: input statistics and the 1280-d pooled features. */
export interface PhotoRecord {
  readonly id: string;
  readonly label: string;
  readonly stats: ImageStats;
  readonly embedding: Float32Array;
}

/** How a photo is altered before it is "uploaded". */
export type Variant = 'original' | 'dark' | 'negative';

/** The split's `<class>/<id>` entries of one class, in file order. */
export function splitIds(split: 'train' | 'test', cls: string): string[] {
  const meta = JSON.parse(fs.readFileSync(path.join(miniDataDir, 'meta', `${split}.json`), 'utf8')) as Record<string, string[]>;
  const ids = meta[cls];
  if (!ids) throw new Error(`${split}.json has no class '${cls}'`);
  return ids;
}

/** The mini set's classes, in classes.txt order. */
export function classes(): string[] {
  return fs.readFileSync(path.join(miniDataDir, 'meta', 'classes.txt'), 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
}

async function upload(id: string, variant: Variant): Promise<Buffer> {
  const bytes = fs.readFileSync(path.join(miniDataDir, 'images', `${id}.jpg`));
  if (variant === 'original') return bytes;
  // Re-encoded as a camera would deliver them; quality 90 keeps JPEG artefacts from dominating the statistics.
  const img = variant === 'dark' ? sharp(bytes).modulate({ brightness: 0.4 }) : sharp(bytes).negate({ alpha: false });
  return img.jpeg({ quality: 90 }).toBuffer();
}

/** Turns photos into records: one decode per photo feeds both the statistics and the backbone batch. */
export async function embedPhotos(backbone: Backbone, ids: readonly string[], variant: Variant, batchSize = 16): Promise<PhotoRecord[]> {
  const spec = DEFAULT_PREPROCESS;
  const tables = normalisationTables(spec);
  const per = 3 * spec.crop * spec.crop;
  const out: PhotoRecord[] = [];
  for (let start = 0; start < ids.length; start += batchSize) {
    const chunk = ids.slice(start, start + batchSize);
    const batch = new Float32Array(chunk.length * per);
    const stats: ImageStats[] = [];
    await Promise.all(chunk.map(async (id, i) => {
      const bytes = await upload(id, variant);
      const [source, raw] = await Promise.all([readImageSource(bytes), decodeForViews(bytes, spec)]);
      stats[i] = computeImageStats(raw, source);
      toTensor(raw, spec, centerBox(raw, spec), batch, i * per, tables);
    }));
    const feats = await backbone.features(batch, chunk.length);
    chunk.forEach((id, i) => out.push({ id, label: id.split('/')[0]!, stats: stats[i]!, embedding: feats.slice(i * backbone.dim, (i + 1) * backbone.dim) }));
  }
  return out;
}

/** Opens the shared backbone with two threads (the machine has two cores). */
export function openBackbone(): Promise<Backbone> {
  return loadBackbone({ path: backbonePath, sha256: backboneSha256, featureNode: backboneFeatureNode, threads: 2 });
}
