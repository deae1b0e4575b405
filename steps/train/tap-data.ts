/**
 * Inputs of families with a tap (`finetune`): the tapped backbone tensor of every view the features stage stored
 * (augmented views of training photos, test-time views of the others), extracted on first use into a feature
 * space of its own (backbone sha256 + preprocessing + tensor name) and reused by every fold, epoch and later run.
 * The store keeps them quantized; `load` hands out float NHWC rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { extractFeatures } from '../../ml/features/extract.ts';
import { dequantizeRows, openTap, tapSpace, type Tap } from '../../ml/features/tap.ts';
import { readVerified } from '../../ml/onnx/backbone.ts';
import { viewNames, type ViewsSpec } from '../../ml/preprocess/index.ts';
import type { FeatureStorePort } from '../../ml/features/feature-store-port.ts';
import type { StepContext } from '../../runner/context.ts';
import type { FeaturesResult } from '../features/features-result.ts';
import { backboneSection } from '../sections/backbone.ts';
import { parseCsv, type ManifestEntry } from '../split/manifest.ts';
import type { SplitResult } from '../split/split-result.ts';

/** The backbone file as the train stage sees it (path resolved against the workdir). */
export interface BackboneFileRef {
  readonly path: string;
  readonly sha256: string;
  readonly input: string;
  readonly threads?: number;
}

/** What a tap's rows look like, without its session. */
export type TapShape = Pick<Tap, 'channels' | 'positions' | 'dim' | 'tail'>;

/** The tap inputs of a stage that reads the `backbone:` section (train, aggregate's refit and evaluation). */
export function tapDataFor(ctx: StepContext, split: SplitResult, features: FeaturesResult): TapData {
  const bb = ctx.section(backboneSection);
  const ref = { path: ctx.resolvePath(bb.path), sha256: bb.sha256, input: bb.input, threads: bb.threads };
  return new TapData(split, features, ctx.stores.features, ref, (m) => ctx.log.info(m));
}

/** The views spec whose names are `names` (the features stage's result records names only). */
export function viewsFromNames(names: readonly string[]): ViewsSpec {
  const spec = { flip: names.includes('flip'), crops: names.filter((n) => /^crop\d+$/.test(n)).length };
  const round = viewNames(spec);
  if (round.join(',') !== names.join(',')) throw new Error(`finetune inputs: cannot re-create the views [${names.join(', ')}] (got [${round.join(', ')}]); extract them with the features stage's views`);
  return spec;
}

export class TapData {
  readonly #shapes = new Map<string, Promise<TapShape>>();

  constructor(
    readonly split: SplitResult,
    readonly features: FeaturesResult,
    readonly store: FeatureStorePort,
    readonly backbone: BackboneFileRef,
    readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Extracts (once) what the store lacks for tensor `from` and returns the tap's row shape and dequantized tail. */
  shape(from: string): Promise<TapShape> {
    let hit = this.#shapes.get(from);
    if (!hit) {
      hit = this.#extract(from);
      hit.catch(() => this.#shapes.delete(from));
      this.#shapes.set(from, hit);
    }
    return hit;
  }

  async #extract(from: string): Promise<TapShape> {
    const bytes = await readVerified(this.backbone.path, this.backbone.sha256);
    const tap = await openTap(bytes, { sha256: this.backbone.sha256, input: this.backbone.input, from, threads: this.backbone.threads });
    try {
      const read = (name: string, train: boolean) =>
        parseCsv(fs.readFileSync(path.join(this.split.dir, name), 'utf8')).map((e) => ({ path: path.join(this.split.root, e.path), sha256: e.sha256, train }));
      const out = await extractFeatures({
        images: [...read('train.csv', true), ...read('test.csv', false)],
        spec: this.features.preprocessing,
        views: viewsFromNames(this.features.views),
        evalViews: viewsFromNames(this.features.tta),
        // extractFeatures keys rows by the features stage's space (file + feature nodes, as `load` reads them); the
        // tap's is that space with the tensor appended (tapSpace), so it never meets the pooled features. Keyed by the
        // bare file sha256 instead, the rows were written where `load` never looked ("no features for image ...").
        backbone: { featureId: this.features.space.backboneSha256, dim: tap.dim, features: (batch, n) => tap.features(batch, n) },
        store: { missing: (s, k) => this.store.missing(tapSpace(s, from), k), put: (s, r) => this.store.put(tapSpace(s, from), r), load: (s, k) => this.store.load(tapSpace(s, from), k) },
        batchSize: 16,
        decodeConcurrency: 32,
      });
      if (out.computed > 0) this.log(`tap '${from}': ${out.computed} tensors extracted (${tap.positions} x ${tap.channels} uint8 each), ${out.reused} reused, ${out.seconds.toFixed(1)}s`);
      return { channels: tap.channels, positions: tap.positions, dim: tap.dim, tail: tap.tail };
    } finally {
      await tap.dispose();
    }
  }

  /** Float NHWC rows of `entries`: one per view when training, the mean of the test-time views otherwise. */
  async load(from: string, entries: readonly ManifestEntry[], training: boolean): Promise<Float32Array> {
    const shape = await this.shape(from);
    const views = training ? this.features.views : this.features.tta;
    const keys = entries.flatMap((e) => views.map((view) => ({ imageSha256: e.sha256, view })));
    const { data } = await this.store.load(tapSpace(this.features.space, from), keys);
    const x = dequantizeRows(data, keys.length, shape);
    return training ? x : meanOfGroups(x, shape.positions * shape.channels, views.length);
  }
}

/** Rows averaged in consecutive groups of `k` (k = 1 returns the data as is). */
export function meanOfGroups(data: Float32Array, dim: number, k: number): Float32Array {
  if (k === 1) return data;
  const n = data.length / dim / k;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let v = 0; v < k; v++) for (let j = 0; j < dim; j++) out[i * dim + j]! += data[(i * k + v) * dim + j]! / k;
  return out;
}
