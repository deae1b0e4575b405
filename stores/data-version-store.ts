/**
 * The data-versioning store on the SQL layer (SQLite and PostgreSQL alike). A version is recorded once: its row
 * is inserted with `ON CONFLICT DO NOTHING`, so two processes recording the same split at once leave one row and
 * one set of images (on PostgreSQL the second insert waits for the first transaction, then does nothing).
 */
import { systemClock, type Clock } from './common.ts';
import { diffImages } from './data-version-diff.ts';
import type {
  ClassCounts, DataSplit, DataVersionStore, DatasetDiff, DatasetImage, DatasetVersion, DatasetVersionInput, ImageFilter,
} from './data-version-types.ts';
import { InvalidInputError, NotFoundError } from './errors.ts';
import { parseJsonColumn, type SqlClient, type SqlQueryable } from './sql/index.ts';

export * from './data-version-types.ts';
export { DATA_VERSION_MIGRATIONS } from './data-version-schema.ts';

interface VersionRow {
  version: string; manifest_hash: string; name: string; source_root: string; layout: string;
  subset: unknown; classes: unknown; folds: number; excluded: unknown; created_at: number;
}
interface ImageRow { path: string; class: string; sha256: string; split: DataSplit; fold: number | null }

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Sorted in JS: PostgreSQL's collation may order text differently from SQLite's bytes. */
const imageOrder = (x: DatasetImage, y: DatasetImage) => cmp(y.split, x.split) || cmp(x.className, y.className) || cmp(x.path, y.path);

function check(input: DatasetVersionInput): void {
  const bad = (why: string): never => {
    throw new InvalidInputError('DATA_INVALID_VERSION', `dataset version '${input.version}': ${why}`);
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(input.version)) bad('the name must be letters, digits, _ . -');
  if (!/^[0-9a-f]{64}$/.test(input.manifestHash)) bad(`manifest hash '${input.manifestHash}' is not a sha256`);
  if (input.classes.length === 0) bad('no classes');
  const classes = new Set(input.classes);
  const paths = new Set<string>();
  for (const img of input.images) {
    if (!classes.has(img.className)) bad(`image ${img.path} has class '${img.className}', which is not one of the version's classes`);
    if (img.split !== 'train' && img.split !== 'test') bad(`image ${img.path} has split '${String(img.split)}'`);
    if (paths.has(img.path)) bad(`image ${img.path} is listed twice`);
    paths.add(img.path);
  }
}

export class SqlDataVersionStore implements DataVersionStore {
  readonly #db: SqlClient;
  readonly #now: Clock;

  /** `db` must be migrated with DATA_VERSION_MIGRATIONS. */
  constructor(db: SqlClient, opts: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = opts.now ?? systemClock;
  }

  async record(input: DatasetVersionInput): Promise<{ version: DatasetVersion; created: boolean }> {
    check(input);
    const created = await this.#db.transaction(async (tx) => {
      const inserted = await tx.exec(
        `INSERT INTO dataset_versions (version, manifest_hash, name, source_root, layout, subset, classes, folds, excluded, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [input.version, input.manifestHash, input.name, input.sourceRoot, input.layout, JSON.stringify(input.subset),
          JSON.stringify(input.classes), input.folds, JSON.stringify(input.excluded ?? []), this.#now()],
      );
      if (inserted === 0) {
        const clash = await tx.one<{ version: string; manifest_hash: string }>(
          'SELECT version, manifest_hash FROM dataset_versions WHERE version = ? OR manifest_hash = ?', [input.version, input.manifestHash]);
        if (clash && (clash.version !== input.version || clash.manifest_hash !== input.manifestHash)) {
          throw new InvalidInputError('DATA_VERSION_CONFLICT',
            `dataset version '${input.version}' (manifests ${input.manifestHash.slice(0, 12)}) clashes with recorded '${clash.version}' (manifests ${clash.manifest_hash.slice(0, 12)}): a name and its manifests must match; see 'pipeline data show ${clash.version}'`);
        }
        return false;
      }
      await tx.execMany('INSERT INTO dataset_images (version, path, class, sha256, split, fold) VALUES (?, ?, ?, ?, ?, ?)',
        input.images.map((i) => [input.version, i.path, i.className, i.sha256, i.split, i.fold]));
      const counts = new Map<string, number>();
      for (const i of input.images) counts.set(`${i.className}\u0000${i.split}`, (counts.get(`${i.className}\u0000${i.split}`) ?? 0) + 1);
      await tx.execMany('INSERT INTO dataset_class_counts (version, class, split, images) VALUES (?, ?, ?, ?)',
        input.classes.flatMap((c) => (['train', 'test'] as const).map((s) => [input.version, c, s, counts.get(`${c}\u0000${s}`) ?? 0])));
      return true;
    });
    return { version: (await this.get(input.version))!, created };
  }

  async get(ref: string): Promise<DatasetVersion | undefined> {
    return this.#db.transaction(async (tx) => {
      const row = await this.#resolve(tx, ref);
      return row && (await this.#versions(tx, [row]))[0];
    }, { readOnly: true });
  }

  async list(): Promise<DatasetVersion[]> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<VersionRow>('SELECT * FROM dataset_versions ORDER BY created_at DESC, version DESC');
      return this.#versions(tx, rows);
    }, { readOnly: true });
  }

  async images(version: string, filter: ImageFilter = {}): Promise<DatasetImage[]> {
    const row = await this.#resolve(this.#db, version);
    if (!row) throw this.#unknown(version);
    let sql = 'SELECT path, class, sha256, split, fold FROM dataset_images WHERE version = ?';
    const params: (string | number)[] = [row.version];
    if (filter.split) (sql += ' AND split = ?'), params.push(filter.split);
    if (filter.trainOfFold !== undefined) (sql += " AND split = 'train' AND (fold IS NULL OR fold <> ?)"), params.push(filter.trainOfFold);
    if (filter.className) (sql += ' AND class = ?'), params.push(filter.className);
    const rows = await this.#db.query<ImageRow>(sql, params);
    return rows.map((r) => ({ path: r.path, className: r.class, sha256: r.sha256, split: r.split, fold: r.fold ?? null })).sort(imageOrder);
  }

  async diff(from: string, to: string): Promise<DatasetDiff> {
    const [a, b] = await Promise.all([this.get(from), this.get(to)]);
    if (!a) throw this.#unknown(from);
    if (!b) throw this.#unknown(to);
    const [ia, ib] = await Promise.all([this.images(a.version), this.images(b.version)]);
    return diffImages(a.version, b.version, ia, ib);
  }

  async #resolve(q: SqlQueryable, ref: string): Promise<VersionRow | undefined> {
    if (ref === 'latest') return q.one<VersionRow>('SELECT * FROM dataset_versions ORDER BY created_at DESC, version DESC LIMIT 1');
    const exact = await q.one<VersionRow>('SELECT * FROM dataset_versions WHERE version = ?', [ref]);
    if (exact || !/^[0-9a-f]{8,64}$/.test(ref)) return exact;
    // Versions are few (one per split of the data): matching in JS keeps LIKE's escaping rules out of it.
    const rows = (await q.query<VersionRow>('SELECT * FROM dataset_versions')).filter((r) => r.manifest_hash.startsWith(ref) || r.version.endsWith(`_${ref}`));
    if (rows.length > 1) {
      throw new InvalidInputError('DATA_INVALID_VERSION', `'${ref}' matches ${rows.length} dataset versions (${rows.map((r) => r.version).join(', ')}): give more of the hash or the full name`);
    }
    return rows[0];
  }

  async #versions(q: SqlQueryable, rows: readonly VersionRow[]): Promise<DatasetVersion[]> {
    if (rows.length === 0) return [];
    // One query for every version's counts (no per-version round trip).
    const marks = rows.map(() => '?').join(', ');
    const countRows = await q.query<{ version: string; class: string; split: DataSplit; images: number }>(
      `SELECT version, class, split, images FROM dataset_class_counts WHERE version IN (${marks})`, rows.map((r) => r.version));
    const perVersion = new Map<string, Record<string, { train: number; test: number }>>();
    for (const c of countRows) {
      const per = perVersion.get(c.version) ?? {};
      (per[c.class] ??= { train: 0, test: 0 })[c.split] = Number(c.images);
      perVersion.set(c.version, per);
    }
    return rows.map((r) => {
      const classes = parseJsonColumn<string[]>(r.classes, []);
      const raw = perVersion.get(r.version) ?? {};
      const perClass: Record<string, ClassCounts> = Object.fromEntries(classes.map((c) => [c, raw[c] ?? { train: 0, test: 0 }]));
      const total = (s: DataSplit) => Object.values(perClass).reduce((n, c) => n + c[s], 0);
      return {
        version: r.version, manifestHash: r.manifest_hash, name: r.name, sourceRoot: r.source_root, layout: r.layout,
        subset: parseJsonColumn<Record<string, unknown>>(r.subset, {}), classes, folds: Number(r.folds),
        excluded: parseJsonColumn<{ path: string; reason: string }[]>(r.excluded, []),
        counts: { train: total('train'), test: total('test'), perClass }, createdAt: Number(r.created_at),
      };
    });
  }

  #unknown(ref: string): NotFoundError {
    return new NotFoundError('DATA_UNKNOWN_VERSION', `no dataset version '${ref}': see 'pipeline data list' (versions are recorded by the split stage)`);
  }
}
