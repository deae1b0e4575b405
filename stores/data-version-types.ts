/**
 * The data-versioning contract: every dataset version the split stage produces (named after its manifests'
 * hash) is recorded with each image (path, class, sha256, split, validation fold), counts per class and split,
 * the source root and the subset that selected it. Model versions name their dataset version in their lineage,
 * so the store answers "which photos trained this model".
 */

export type DataSplit = 'train' | 'test';

export interface DatasetImage {
  /** Relative to the data set's root, as in the manifests (`images/pizza/1033251.jpg`). */
  readonly path: string;
  readonly className: string;
  /** sha256 of the file's bytes. */
  readonly sha256: string;
  readonly split: DataSplit;
  /** 1-based fold whose validation part holds the image (train images); null for test images. */
  readonly fold: number | null;
}

export interface ClassCounts {
  readonly train: number;
  readonly test: number;
}

export interface DatasetVersionInput {
  /** `<name>_<C>c_tr<pct>_te<pct>_<hash8>`. */
  readonly version: string;
  /** Full sha256 of the manifests; the version's identity. */
  readonly manifestHash: string;
  /** The data set's name (`food101-mini`). */
  readonly name: string;
  /** The data set's root folder as the split stage saw it (absolute). */
  readonly sourceRoot: string;
  readonly layout: string;
  /** The `data.subset` that selected the images (classes, fraction, seed), as configured. */
  readonly subset: Readonly<Record<string, unknown>>;
  /** In label order. */
  readonly classes: readonly string[];
  readonly folds: number;
  readonly images: readonly DatasetImage[];
  /** Images left out (unreadable, corrupt, listed but missing), with the reason. */
  readonly excluded?: readonly { readonly path: string; readonly reason: string }[];
}

export interface DatasetVersion extends Omit<DatasetVersionInput, 'images' | 'excluded'> {
  readonly excluded: readonly { readonly path: string; readonly reason: string }[];
  readonly counts: { readonly train: number; readonly test: number; readonly perClass: Readonly<Record<string, ClassCounts>> };
  /** Milliseconds since the epoch of the first recording. */
  readonly createdAt: number;
}

export interface ImageFilter {
  readonly split?: DataSplit;
  /** Only images whose validation fold is not this one: the training part of fold k. */
  readonly trainOfFold?: number;
  readonly className?: string;
}

export interface RelabelledImage {
  readonly sha256: string;
  readonly path: string;
  readonly fromPath: string;
  readonly from: string;
  readonly to: string;
}

export interface DatasetDiff {
  readonly from: string;
  readonly to: string;
  /** Photos (by content) in `to` but not in `from`. */
  readonly added: readonly DatasetImage[];
  readonly removed: readonly DatasetImage[];
  /** The same photo (sha256) under another class. */
  readonly relabelled: readonly RelabelledImage[];
  /** Photos in both with the same class (possibly moved between splits or folds). */
  readonly unchanged: number;
}

export interface DataVersionStore {
  /**
   * Records a dataset version and its images, once: recording it again (another run, another process) changes
   * nothing and returns `created: false`. A version name already recorded with other manifests is refused.
   */
  record(input: DatasetVersionInput): Promise<{ readonly version: DatasetVersion; readonly created: boolean }>;
  /** By full name, by the 8-hex suffix of the name, by a prefix (>= 8) of the manifest hash, or `latest`. */
  get(ref: string): Promise<DatasetVersion | undefined>;
  /** Newest first. */
  list(): Promise<DatasetVersion[]>;
  /** Sorted by split, class, path. */
  images(version: string, filter?: ImageFilter): Promise<DatasetImage[]>;
  diff(from: string, to: string): Promise<DatasetDiff>;
}
