/**
 * The feature-extraction engine: photos -> backbone features in the feature store, computing only the
 * (image, view) pairs the store lacks for this feature space.
 *
 * Concurrency on a small CPU box: onnxruntime-node's `run` blocks the JS thread, so decoding cannot wait for the
 * JS thread to hand it work. Instead `decodeConcurrency` sharp jobs are kept queued on libuv's thread pool, which
 * keeps decoding while the JS thread runs inference on the previous batch.
 */
import fs from 'node:fs';
import { sha256 } from '../../lib/hash.ts';
import type { Backbone } from '../onnx/backbone.ts';
import { decodeForViews, NO_EXTRA_VIEWS, normalisationTables, preprocessingId, toTensor, viewBox, viewNames, viewsOfBatch, zoomOf } from '../preprocess/index.ts';
import type { PreprocessSpec, RawImage, ViewsSpec } from '../preprocess/index.ts';
import type { FeatureKey, FeatureRow, FeatureSpace, FeatureStorePort } from './feature-store-port.ts';

export interface ExtractImage {
  readonly path: string;
  /** sha256 (hex) of the file's bytes: the image's identity in the feature store. */
  readonly sha256: string;
  /** Training images get the extra views; the others only `center`. */
  readonly train: boolean;
}

export interface ExtractOptions {
  readonly images: readonly ExtractImage[];
  readonly spec: PreprocessSpec;
  /** Extra views for training images. */
  readonly views: ViewsSpec;
  /** Views of the other (validation/test) images: test-time augmentation. Default: `center` only. */
  readonly evalViews?: ViewsSpec;
  readonly backbone: Pick<Backbone, 'featureId' | 'dim' | 'features'>;
  readonly store: FeatureStorePort;
  /** Vectors per inference call. */
  readonly batchSize: number;
  /** Images queued for decoding at once (keep it >= batchSize so decoding never starves during inference). */
  readonly decodeConcurrency: number;
  /** Re-hash each file and refuse one whose bytes no longer match its sha256 (default true). */
  readonly verify?: boolean;
  /** Called after each stored batch; counts feature vectors (image x view) to compute. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops between batches; vectors already stored stay valid. The promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface ExtractResult {
  /** Vectors computed and stored by this call. */
  readonly computed: number;
  /** Vectors that were already in the store. */
  readonly reused: number;
  /** Images decoded. */
  readonly decoded: number;
  /** Images that could not be read or decoded (corrupt, truncated, unreadable): skipped, with the reason. */
  readonly failed: readonly { readonly path: string; readonly sha256: string; readonly reason: string }[];
  readonly seconds: number;
}

/** The feature space of a backbone (its `featureId`: file + feature nodes) + preprocessing pair. */
export function featureSpace(backboneFeatureId: string, spec: PreprocessSpec): FeatureSpace {
  return { backboneSha256: backboneFeatureId, preprocessingId: preprocessingId(spec) };
}

/**
 * The (image, view) keys an image list asks for: train images get `views` and also `evalViews` (they are the
 * validation images of the cross-validation folds, evaluated on their test-time views), the others `evalViews`.
 * Deduplicated.
 */
export function wantedKeys(images: readonly ExtractImage[], views: ViewsSpec, evalViews: ViewsSpec = NO_EXTRA_VIEWS): FeatureKey[] {
  const otherViews = viewNames(evalViews);
  const trainViews = [...new Set([...viewNames(views), ...otherViews])];
  const seen = new Set<string>();
  const keys: FeatureKey[] = [];
  for (const img of images) {
    for (const view of img.train ? trainViews : otherViews) {
      const id = `${img.sha256}/${view}`;
      if (!seen.has(id)) seen.add(id), keys.push({ imageSha256: img.sha256, view });
    }
  }
  return keys;
}

interface Job {
  readonly path: string;
  readonly sha256: string;
  readonly views: string[];
}

export async function extractFeatures(opts: ExtractOptions): Promise<ExtractResult> {
  const t0 = performance.now();
  const { spec, backbone, store, signal } = opts;
  if (!(opts.batchSize >= 1) || !(opts.decodeConcurrency >= 1)) throw new Error('extractFeatures: batchSize and decodeConcurrency must be >= 1');
  signal?.throwIfAborted();
  const space = featureSpace(backbone.featureId, spec);
  const wanted = wantedKeys(opts.images, opts.views, opts.evalViews);
  const missing = await store.missing(space, wanted);
  const seconds = () => (performance.now() - t0) / 1000;
  if (missing.length === 0) return { computed: 0, reused: wanted.length, decoded: 0, failed: [], seconds: seconds() };

  const jobs = groupByImage(opts.images, missing);
  let total = missing.length;
  const per = 3 * spec.crop * spec.crop;
  const tables = normalisationTables(spec);
  const verify = opts.verify ?? true;

  // Decoding runs ahead of consumption, in submission order, at most `decodeConcurrency` images at once.
  const decodeJob = (job: Job): Promise<RawImage> => {
    // Read synchronously so the sharp job is queued now, not after the JS thread comes back from inference.
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(job.path);
    } catch (err) {
      return Promise.reject(new Error(`feature extraction: cannot read ${job.path}: ${(err as Error).message}`, { cause: err }));
    }
    if (verify) {
      const actual = sha256(bytes);
      if (actual !== job.sha256) {
        return Promise.reject(new ChangedFileError(`feature extraction: ${job.path} changed since it was listed (sha256 ${actual}, expected ${job.sha256}); re-run the split stage`));
      }
    }
    return decodeForViews(bytes, spec);
  };
  const inFlight: Promise<RawImage>[] = [];
  let next = 0;
  const refill = () => {
    while (next < jobs.length && inFlight.length < opts.decodeConcurrency) {
      const p = decodeJob(jobs[next++]!);
      p.catch(() => undefined); // handled when awaited; avoids an unhandled rejection while it waits in line
      inFlight.push(p);
    }
  };

  let buffers = [new Float32Array(opts.batchSize * per), new Float32Array(opts.batchSize * per)];
  const scratch = new Float32Array(per); // a zoom view's centre crop, before it is zoomed into the batch
  let keys: FeatureKey[] = [];
  let pending: Promise<void> | undefined;
  let done = 0;
  let decoded = 0;
  const failed: { path: string; sha256: string; reason: string }[] = [];

  const runBatch = async (batch: Float32Array, batchKeys: FeatureKey[]): Promise<void> => {
    const n = batchKeys.length;
    const feats = await backbone.features(batch, n);
    const dim = backbone.dim;
    if (feats.length !== n * dim) throw new Error(`backbone returned ${feats.length} values for ${n} x ${dim} features`);
    const rows: FeatureRow[] = batchKeys.map((k, i) => ({ ...k, vector: feats.slice(i * dim, (i + 1) * dim) }));
    await store.put(space, rows);
    done += n;
    opts.onProgress?.(done, total);
  };
  const launch = async () => {
    // The buffer about to be refilled was used by the previous run: wait for it first.
    if (pending) await pending;
    const full = buffers[0]!;
    buffers = [buffers[1]!, full];
    pending = runBatch(full, keys);
    pending.catch(() => undefined);
    keys = [];
  };

  try {
    refill();
    for (const job of jobs) {
      if (signal?.aborted) break;
      let raw: RawImage;
      try {
        raw = await inFlight.shift()!;
      } catch (err) {
        // A file changed under us is a stale listing: stop. A corrupt or unreadable image is skipped and reported.
        if (err instanceof ChangedFileError) throw err;
        failed.push({ path: job.path, sha256: job.sha256, reason: (err as Error).message.replace(/^feature extraction: /, '') });
        total -= job.views.length;
        refill();
        continue;
      }
      decoded++;
      refill();
      for (const view of job.views) {
        const box = viewBox(raw, spec, view, job.sha256);
        if (zoomOf(view) === undefined) toTensor(raw, spec, box, buffers[0]!, keys.length * per, tables);
        else buffers[0]!.set(viewsOfBatch(toTensor(raw, spec, box, scratch, 0, tables), 1, spec.crop, view), keys.length * per);
        keys.push({ imageSha256: job.sha256, view });
        if (keys.length === opts.batchSize) await launch();
      }
    }
    if (!signal?.aborted && keys.length) await launch();
    if (pending) await pending;
  } catch (err) {
    // Let the batch in flight land in the store before reporting: its vectors are valid.
    if (pending) await pending.catch(() => undefined);
    throw err;
  }
  signal?.throwIfAborted();
  return { computed: done, reused: wanted.length - missing.length, decoded, failed, seconds: seconds() };
}

/** The bytes on disk are not the ones listed: the manifests are stale, so extraction must stop. */
class ChangedFileError extends Error {}

/** Missing keys grouped per image (first listed path wins for duplicate contents), views in canonical order. */
function groupByImage(images: readonly ExtractImage[], missing: readonly FeatureKey[]): Job[] {
  const pathOf = new Map<string, string>();
  for (const img of images) if (!pathOf.has(img.sha256)) pathOf.set(img.sha256, img.path);
  const jobs = new Map<string, Job>();
  for (const k of missing) {
    let job = jobs.get(k.imageSha256);
    if (!job) {
      const path = pathOf.get(k.imageSha256);
      if (path === undefined) throw new Error(`feature store reported a missing key for an unknown image ${k.imageSha256}`);
      job = { path, sha256: k.imageSha256, views: [] };
      jobs.set(k.imageSha256, job);
    }
    job.views.push(k.view);
  }
  return [...jobs.values()];
}
