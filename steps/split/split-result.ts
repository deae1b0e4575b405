/** What the split stage hands to later stages (and records in its cache entry). */
export interface SplitResult {
  /** `<name>_<C>c_tr<pct>_te<pct>_<hash8>`: a hash of the manifests' contents. */
  readonly datasetVersion: string;
  /** The tracking experiment: one per dataset version. */
  readonly experiment: string;
  /** data/processed/<datasetVersion> (absolute). */
  readonly dir: string;
  /** The data root (absolute); manifest paths are relative to it. */
  readonly root: string;
  readonly layout: 'food101' | 'folder';
  readonly classes: readonly string[];
  readonly labels: readonly string[];
  readonly folds: number;
  readonly counts: {
    readonly train: number;
    readonly test: number;
    readonly perClass: Readonly<Record<string, { readonly train: number; readonly test: number }>>;
  };
  readonly excluded: readonly { readonly path: string; readonly reason: string }[];
  readonly manifestHash: string;
}
