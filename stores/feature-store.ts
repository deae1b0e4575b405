/**
 * The feature store: frozen-backbone feature vectors keyed by (image sha256, backbone sha256, preprocessing id,
 * view), stored as little-endian float32 BLOBs. A feature space (backbone + preprocessing) has one dimension.
 *
 * Lookups for many keys go through a temporary table joined against the primary key, one statement for the
 * whole batch (see tests/stores/bench-feature-store.ts for the numbers).
 */
import { migrate, type Db } from './db.ts';
import { systemClock, type Clock } from './common.ts';
import { InvalidInputError, NotFoundError } from './errors.ts';

export interface FeatureSpace { readonly backboneSha256: string; readonly preprocessingId: string }
export interface FeatureKey { readonly imageSha256: string; readonly view: string }
export interface FeatureRow extends FeatureKey { readonly vector: Float32Array }

export interface FeatureStore {
  /** The keys of `wanted` not stored in `space`, in the order asked, without duplicates. */
  missing(space: FeatureSpace, wanted: readonly FeatureKey[]): FeatureKey[];
  /** Stores rows (one transaction); keys already present are left as they are. */
  put(space: FeatureSpace, rows: readonly FeatureRow[]): void;
  /** Vectors row-major in the order asked; throws naming the first missing key. */
  load(space: FeatureSpace, wanted: readonly FeatureKey[]): { dim: number; data: Float32Array };
  count(space?: FeatureSpace): number;
}

const MIGRATIONS = [
  `CREATE TABLE feature_spaces (
     id INTEGER PRIMARY KEY,
     backbone_sha256 TEXT NOT NULL,
     preprocessing_id TEXT NOT NULL,
     dim INTEGER NOT NULL CHECK (dim > 0),
     created_at INTEGER NOT NULL,
     UNIQUE (backbone_sha256, preprocessing_id)
   );
   CREATE TABLE features (
     space_id INTEGER NOT NULL REFERENCES feature_spaces(id),
     image_sha256 TEXT NOT NULL,
     view TEXT NOT NULL,
     vector BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (space_id, image_sha256, view)
   );`,
];

/** Keys asked for are staged here (per connection) so one join answers a whole batch. */
const WANTED_DDL = `CREATE TEMP TABLE IF NOT EXISTS feature_wanted (
  ord INTEGER PRIMARY KEY, image_sha256 TEXT NOT NULL, view TEXT NOT NULL)`;

interface SpaceRow { id: number; dim: number }

export class SqliteFeatureStore implements FeatureStore {
  readonly #db: Db;
  readonly #now: Clock;

  constructor(db: Db, opts: { now?: Clock } = {}) {
    migrate(db, 'features', MIGRATIONS);
    this.#db = db;
    this.#now = opts.now ?? systemClock;
  }

  missing(space: FeatureSpace, wanted: readonly FeatureKey[]): FeatureKey[] {
    const dedup = (keys: readonly FeatureKey[]) => {
      const seen = new Set<string>();
      return keys.filter((k) => {
        const id = `${k.imageSha256}\u0000${k.view}`;
        return seen.has(id) ? false : (seen.add(id), true);
      });
    };
    const sp = this.#space(space);
    if (!sp) return dedup(wanted).map(copyKey);
    const rows = this.#withWanted(wanted, () =>
      this.#db.prepare(
        `SELECT w.image_sha256, w.view FROM feature_wanted w
         WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.space_id = ? AND f.image_sha256 = w.image_sha256 AND f.view = w.view)
         ORDER BY w.ord`,
      ).raw(true).all(sp.id) as [string, string][],
    );
    return dedup(rows.map(([imageSha256, view]) => ({ imageSha256, view })));
  }

  put(space: FeatureSpace, rows: readonly FeatureRow[]): void {
    if (rows.length === 0) return;
    const dim = rows[0].vector.length;
    for (const r of rows) {
      if (r.vector.length !== dim || dim === 0) {
        throw new InvalidInputError('FEATURES_DIM_MISMATCH', `feature vector for image ${r.imageSha256} view '${r.view}' has ${r.vector.length} values, expected ${dim} like the first row of the batch`);
      }
    }
    const db = this.#db;
    db.transaction(() => {
      const now = this.#now();
      db.prepare(
        'INSERT INTO feature_spaces (backbone_sha256, preprocessing_id, dim, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (backbone_sha256, preprocessing_id) DO NOTHING',
      ).run(space.backboneSha256, space.preprocessingId, dim, now);
      const sp = this.#space(space)!;
      if (sp.dim !== dim) {
        throw new InvalidInputError('FEATURES_DIM_MISMATCH', `feature space ${describe(space)} holds ${sp.dim}-d vectors, got ${dim}-d: a changed backbone or feature node needs a new preprocessing id`);
      }
      const insert = db.prepare(
        'INSERT INTO features (space_id, image_sha256, view, vector, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (space_id, image_sha256, view) DO NOTHING',
      );
      for (const r of rows) {
        insert.run(sp.id, r.imageSha256, r.view, Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength), now);
      }
    }).immediate();
  }

  load(space: FeatureSpace, wanted: readonly FeatureKey[]): { dim: number; data: Float32Array } {
    const sp = this.#space(space);
    if (!sp) {
      if (wanted.length === 0) return { dim: 0, data: new Float32Array(0) };
      throw missingError(space, wanted[0]);
    }
    const data = new Float32Array(wanted.length * sp.dim);
    const bytes = new Uint8Array(data.buffer);
    const rowBytes = sp.dim * 4;
    this.#withWanted(wanted, () => {
      const rows = this.#db.prepare(
        `SELECT w.ord, f.vector FROM feature_wanted w
         LEFT JOIN features f ON f.space_id = ? AND f.image_sha256 = w.image_sha256 AND f.view = w.view
         ORDER BY w.ord`,
      ).raw(true).iterate(sp.id) as IterableIterator<[number, Buffer | null]>;
      for (const [ord, vector] of rows) {
        if (vector === null) throw missingError(space, wanted[ord]);
        if (vector.length !== rowBytes) {
          throw new InvalidInputError('FEATURES_DIM_MISMATCH', `stored vector for image ${wanted[ord].imageSha256} view '${wanted[ord].view}' has ${vector.length} bytes, expected ${rowBytes}`);
        }
        bytes.set(vector, ord * rowBytes);
      }
    });
    return { dim: sp.dim, data };
  }

  count(space?: FeatureSpace): number {
    if (!space) return (this.#db.prepare('SELECT COUNT(*) AS n FROM features').get() as { n: number }).n;
    const sp = this.#space(space);
    return sp ? (this.#db.prepare('SELECT COUNT(*) AS n FROM features WHERE space_id = ?').get(sp.id) as { n: number }).n : 0;
  }

  #space(space: FeatureSpace): SpaceRow | undefined {
    return this.#db.prepare('SELECT id, dim FROM feature_spaces WHERE backbone_sha256 = ? AND preprocessing_id = ?')
      .get(space.backboneSha256, space.preprocessingId) as SpaceRow | undefined;
  }

  /** Stages `wanted` (ord = index) in the temp table, runs `fn` in the same transaction, then clears it. */
  #withWanted<T>(wanted: readonly FeatureKey[], fn: () => T): T {
    const db = this.#db;
    db.exec(WANTED_DDL);
    return db.transaction(() => {
      db.exec('DELETE FROM feature_wanted');
      const insert = db.prepare('INSERT INTO feature_wanted (ord, image_sha256, view) VALUES (?, ?, ?)');
      for (let i = 0; i < wanted.length; i++) insert.run(i, wanted[i].imageSha256, wanted[i].view);
      try {
        return fn();
      } finally {
        db.exec('DELETE FROM feature_wanted');
      }
    })();
  }
}

function copyKey(k: FeatureKey): FeatureKey {
  return { imageSha256: k.imageSha256, view: k.view };
}

function describe(space: FeatureSpace): string {
  return `${space.backboneSha256.slice(0, 8)}/${space.preprocessingId}`;
}

function missingError(space: FeatureSpace, key: FeatureKey): NotFoundError {
  return new NotFoundError(
    'FEATURES_MISSING',
    `no features for image ${key.imageSha256} view '${key.view}' in space ${describe(space)}: run the features stage first`,
  );
}
