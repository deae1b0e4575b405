/**
 * Training data for a run, assembled from the dataset version's manifests: features from the feature store
 * (training images with all their views, validation and test images with `center` only), or preprocessed pixels
 * (NHWC) for families trained from pixels. Buffers are shared (SharedArrayBuffer) so parallel runs read one copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getFamily } from '../../ml/families/index.ts';
import { preprocess, type PreprocessSpec } from '../../ml/preprocess/index.ts';
import { shareDataset } from '../../ml/training/run-in-worker.ts';
import type { Dataset } from '../../ml/training/types.ts';
import type { Stores } from '../../stores/index.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import { mapLimit } from '../split/check-images.ts';
import { parseCsv, type ManifestEntry } from '../split/manifest.ts';
import type { SplitResult } from '../split/split-result.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import { pixelSpec } from './pixel-spec.ts';

export class TrainingData {
  readonly split: SplitResult;
  readonly features: FeaturesResult;
  readonly #stores: Stores;
  readonly #failed: Set<string>;
  readonly #cache = new Map<string, Dataset>();
  readonly #pixels = new Map<string, Float32Array>();

  constructor(split: SplitResult, features: FeaturesResult, stores: Stores) {
    this.split = split;
    this.features = features;
    this.#stores = stores;
    this.#failed = new Set(features.failed.map((f) => f.sha256));
  }

  /** Entries of a manifest (`train.csv`, `test.csv`, `folds/fold2/val.csv`), without images that failed to decode. */
  entries(manifest: string): ManifestEntry[] {
    return parseCsv(fs.readFileSync(path.join(this.split.dir, manifest), 'utf8')).filter((e) => !this.#failed.has(e.sha256));
  }

  label(e: ManifestEntry): number {
    const i = this.split.classes.indexOf(e.className);
    if (i < 0) throw new Error(`class '${e.className}' of ${e.path} is not among the dataset's classes`);
    return i;
  }

  /** Backbone features of `manifest`: every stored view for training parts, `center` otherwise. */
  featureSet(manifest: string, allViews: boolean): Dataset {
    const id = `f:${manifest}:${allViews}`;
    const hit = this.#cache.get(id);
    if (hit) return hit;
    const entries = this.entries(manifest);
    const views = allViews ? this.features.views : ['center'];
    const keys = entries.flatMap((e) => views.map((view) => ({ imageSha256: e.sha256, view })));
    const { data } = this.#stores.features.load(this.features.space, keys);
    const y = Int32Array.from(entries.flatMap((e) => views.map(() => this.label(e))));
    const set = shareDataset({ x: data, y, n: keys.length });
    this.#cache.set(id, set);
    return set;
  }

  /** Preprocessed pixels of `manifest`, NHWC (centre view only). */
  async pixelSet(manifest: string, spec: PreprocessSpec): Promise<Dataset> {
    const id = `p:${manifest}:${spec.crop}`;
    const hit = this.#cache.get(id);
    if (hit) return hit;
    const entries = this.entries(manifest);
    const s = spec.crop;
    const per = s * s * 3;
    const x = new Float32Array(entries.length * per);
    await mapLimit(entries, 4, async (e, i) => {
      const key = `${e.sha256}:${s}`;
      let nchw = this.#pixels.get(key);
      if (!nchw) {
        nchw = await preprocess(path.join(this.split.root, e.path), spec);
        this.#pixels.set(key, nchw);
      }
      // NCHW (the preprocessing layout, and ONNX's) -> NHWC (tfjs layers).
      for (let c = 0; c < 3; c++) for (let p = 0; p < s * s; p++) x[i * per + p * 3 + c] = nchw[c * s * s + p];
    });
    const set = shareDataset({ x, y: Int32Array.from(entries.map((e) => this.label(e))), n: entries.length });
    this.#cache.set(id, set);
    return set;
  }

  /**
   * The model inputs of `manifest` for an architecture: backbone features (all stored views when `augmented`,
   * else `center`) for feature families, preprocessed pixels at the net's input size for pixel families.
   */
  async inputs(entry: ArchitectureEntry, manifest: string, augmented: boolean): Promise<Dataset> {
    if (getFamily(entry.family).input === 'features') return this.featureSet(manifest, augmented);
    return this.pixelSet(manifest, pixelSpec(this.features.preprocessing, Number(entry.input)));
  }

  /** The input dims a model of this architecture is built for. */
  dims(entry: ArchitectureEntry): { inputDim?: number; inputShape?: [number, number, number] } {
    if (getFamily(entry.family).input === 'features') return { inputDim: this.features.dim };
    const size = Number(entry.input);
    return { inputShape: [size, size, 3] };
  }
}
