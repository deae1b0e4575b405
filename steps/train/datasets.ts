/**
 * Training data for a run, assembled from the dataset version's manifests: features from the feature store
 * (training images with all their views, validation and test images with `center` only), or preprocessed pixels
 * (NHWC) for families trained from pixels. Buffers are shared (SharedArrayBuffer) so parallel runs read one copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { nchwToNhwc } from '../../ml/families/cnn.ts';
import { getFamily } from '../../ml/families/index.ts';
import { preprocess, type PreprocessSpec } from '../../ml/preprocess/index.ts';
import { shareDataset } from '../../ml/training/run-in-worker.ts';
import type { Dataset } from '../../ml/training/types.ts';
import { mapLimit } from '../../lib/map-limit.ts';
import type { FeatureStore } from '../../stores/index.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import { parseCsv, type ManifestEntry } from '../split/manifest.ts';
import type { SplitResult } from '../split/split-result.ts';
import type { ArchitectureEntry } from '../sections/architectures.ts';
import { pixelSpec } from './pixel-spec.ts';
import { meanOfGroups, type TapData } from './tap-data.ts';
import type { TrainableTail } from '../../ml/onnx/dequantize-tail.ts';

export class TrainingData {
  readonly split: SplitResult;
  readonly features: FeaturesResult;
  readonly #stores: { readonly features: FeatureStore };
  readonly #failed: Set<string>;
  /** Promises, so that parallel runs asking for the same set share one load. */
  readonly #cache = new Map<string, Promise<Dataset>>();
  readonly #pixels = new Map<string, Float32Array>();
  /** Inputs of families with a tap (`finetune`); absent when the caller has no backbone file to extract from. */
  readonly #tap: TapData | undefined;

  constructor(split: SplitResult, features: FeaturesResult, stores: { readonly features: FeatureStore }, tap?: TapData) {
    this.split = split;
    this.features = features;
    this.#stores = stores;
    this.#tap = tap;
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

  /**
   * Backbone features of `manifest`: for training, one row per stored view (augmentation); for evaluation, one
   * row per image, the mean of its test-time views (TTA), as the exported model computes it.
   */
  featureSet(manifest: string, training: boolean): Promise<Dataset> {
    const id = `f:${manifest}:${training}`;
    let hit = this.#cache.get(id);
    if (!hit) {
      hit = this.#loadFeatureSet(manifest, training);
      hit.catch(() => this.#cache.delete(id)); // a failed load is not cached
      this.#cache.set(id, hit);
    }
    return hit;
  }

  async #loadFeatureSet(manifest: string, training: boolean): Promise<Dataset> {
    const entries = this.entries(manifest);
    const views = training ? this.features.views : this.features.tta;
    const keys = entries.flatMap((e) => views.map((view) => ({ imageSha256: e.sha256, view })));
    const { data, dim } = await this.#stores.features.load(this.features.space, keys);
    const x = training ? data : meanOfGroups(data, dim, views.length);
    const y = Int32Array.from(entries.flatMap((e) => (training ? views.map(() => this.label(e)) : [this.label(e)])));
    return shareDataset({ x, y, n: y.length });
  }

  /** Preprocessed pixels of `manifest`, NHWC (centre view only). */
  pixelSet(manifest: string, spec: PreprocessSpec): Promise<Dataset> {
    const id = `p:${manifest}:${spec.crop}`;
    let hit = this.#cache.get(id);
    if (!hit) {
      hit = this.#loadPixelSet(manifest, spec);
      hit.catch(() => this.#cache.delete(id));
      this.#cache.set(id, hit);
    }
    return hit;
  }

  async #loadPixelSet(manifest: string, spec: PreprocessSpec): Promise<Dataset> {
    const entries = this.entries(manifest);
    const s = spec.crop;
    const per = 3 * s * s;
    const nchw = new Float32Array(entries.length * per);
    await mapLimit(entries, 4, async (e, i) => {
      const key = `${e.sha256}:${s}`;
      let pixels = this.#pixels.get(key);
      if (!pixels) {
        pixels = await preprocess(path.join(this.split.root, e.path), spec);
        this.#pixels.set(key, pixels);
      }
      nchw.set(pixels, i * per);
    });
    // The preprocessing layout (and ONNX's) is NCHW; tfjs layers take NHWC.
    const x = nchwToNhwc(nchw, entries.length, 3, s, s);
    return shareDataset({ x, y: Int32Array.from(entries.map((e) => this.label(e))), n: entries.length });
  }

  /**
   * The model inputs of `manifest` for an architecture: backbone features (augmented views when training, the
   * TTA mean otherwise) for feature families, preprocessed pixels at the net's input size for pixel families.
   */
  async inputs(entry: ArchitectureEntry, manifest: string, training: boolean): Promise<Dataset> {
    const family = getFamily(entry.family);
    if (family.tap) return this.tapSet(family.tap(entry as never), manifest, training);
    if (family.input === 'features') return this.featureSet(manifest, training);
    return this.pixelSet(manifest, pixelSpec(this.features.preprocessing, Number(entry.input)));
  }

  /** The tapped tensor `from` of `manifest` (float NHWC rows), as `featureSet` does for the pooled features. */
  tapSet(from: string, manifest: string, training: boolean): Promise<Dataset> {
    const tap = this.#tapData(from);
    const id = `t:${from}:${manifest}:${training}`;
    let hit = this.#cache.get(id);
    if (!hit) {
      const entries = this.entries(manifest);
      const y = Int32Array.from(entries.flatMap((e) => (training ? this.features.views.map(() => this.label(e)) : [this.label(e)])));
      hit = tap.load(from, entries, training).then((x) => shareDataset({ x, y, n: y.length }));
      hit.catch(() => this.#cache.delete(id));
      this.#cache.set(id, hit);
    }
    return hit;
  }

  #tapData(from: string): TapData {
    if (!this.#tap) throw new Error(`architecture reads backbone tensor '${from}': this stage has no backbone file to extract it from (pass TapData to TrainingData)`);
    return this.#tap;
  }

  /** The input dims a model of this architecture is built for (and, for tap families, the layers it starts from). */
  async dims(entry: ArchitectureEntry): Promise<{ inputDim?: number; inputShape?: [number, number, number]; backboneTail?: TrainableTail }> {
    const family = getFamily(entry.family);
    if (family.tap) {
      const from = family.tap(entry as never);
      const shape = await this.#tapData(from).shape(from);
      return { inputDim: shape.positions * shape.channels, backboneTail: shape.tail };
    }
    if (family.input === 'features') return { inputDim: this.features.dim };
    const size = Number(entry.input);
    return { inputShape: [size, size, 3] };
  }
}
