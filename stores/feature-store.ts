/**
 * The feature store: frozen-backbone feature vectors keyed by (image sha256, backbone sha256, preprocessing id,
 * view), stored as little-endian float32 bytes (BLOB / bytea). A feature space (backbone + preprocessing) has one
 * dimension.
 *
 * A batch lookup is one statement per slice of keys: on SQLite the keys are staged in a temporary table and
 * joined; on PostgreSQL they are passed as two arrays and `unnest ... WITH ORDINALITY` keeps the order.
 */
import type { SqlClient, SqlQueryable, SqlValue } from './sql/index.ts';
import { chunked, systemClock, type Clock } from './common.ts';
import { InvalidInputError, NotFoundError } from './errors.ts';

export interface FeatureSpace { readonly backboneSha256: string; readonly preprocessingId: string }
export interface FeatureKey { readonly imageSha256: string; readonly view: string }
export interface FeatureRow extends FeatureKey { readonly vector: Float32Array }

export interface FeatureStore {
  /** The keys of `wanted` not stored in `space`, in the order asked, without duplicates. */
  missing(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<FeatureKey[]>;
  /** Stores rows (one transaction); keys already present are left as they are. */
  put(space: FeatureSpace, rows: readonly FeatureRow[]): Promise<void>;
  /** Vectors row-major in the order asked; throws naming the first missing key. */
  load(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<{ dim: number; data: Float32Array }>;
  count(space?: FeatureSpace): Promise<number>;
}

/** SQLite: keys asked for are staged here (per connection) so one join answers a whole batch. */
const WANTED_DDL = `CREATE TEMP TABLE IF NOT EXISTS feature_wanted (
  ord INTEGER PRIMARY KEY, image_sha256 TEXT NOT NULL, view TEXT NOT NULL)`;

/** Keys per lookup statement (bounds the size of one PostgreSQL message and result). */
const LOOKUP_CHUNK = 5000;

interface SpaceRow { id: number; dim: number }

export class SqlFeatureStore implements FeatureStore {
  readonly #db: SqlClient;
  readonly #now: Clock;

  constructor(db: SqlClient, opts: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = opts.now ?? systemClock;
  }

  async missing(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<FeatureKey[]> {
    const sp = await this.#space(this.#db, space);
    if (!sp) return dedup(wanted).map(copyKey);
    const out: FeatureKey[] = [];
    await this.#lookup(wanted, 'missing', sp.id, (ord) => { out.push(copyKey(wanted[ord])); });
    return dedup(out);
  }

  async put(space: FeatureSpace, rows: readonly FeatureRow[]): Promise<void> {
    if (rows.length === 0) return;
    const dim = rows[0].vector.length;
    for (const r of rows) {
      if (r.vector.length !== dim || dim === 0) {
        throw new InvalidInputError('FEATURES_DIM_MISMATCH', `feature vector for image ${r.imageSha256} view '${r.view}' has ${r.vector.length} values, expected ${dim} like the first row of the batch`);
      }
    }
    await this.#db.transaction(async (tx) => {
      const now = this.#now();
      await tx.exec(
        'INSERT INTO feature_spaces (backbone_sha256, preprocessing_id, dim, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (backbone_sha256, preprocessing_id) DO NOTHING',
        [space.backboneSha256, space.preprocessingId, dim, now],
      );
      const sp = (await this.#space(tx, space))!;
      if (sp.dim !== dim) {
        throw new InvalidInputError('FEATURES_DIM_MISMATCH', `feature space ${describe(space)} holds ${sp.dim}-d vectors, got ${dim}-d: a changed backbone or feature node needs a new preprocessing id`);
      }
      await tx.execMany(
        'INSERT INTO features (space_id, image_sha256, view, vector, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (space_id, image_sha256, view) DO NOTHING',
        dedupRows(rows).map((r) => [sp.id, r.imageSha256, r.view, Buffer.from(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength), now]),
      );
    });
  }

  async load(space: FeatureSpace, wanted: readonly FeatureKey[]): Promise<{ dim: number; data: Float32Array }> {
    const sp = await this.#space(this.#db, space);
    if (!sp) {
      if (wanted.length === 0) return { dim: 0, data: new Float32Array(0) };
      throw missingError(space, wanted[0]);
    }
    const data = new Float32Array(wanted.length * sp.dim);
    const bytes = new Uint8Array(data.buffer);
    const rowBytes = sp.dim * 4;
    await this.#lookup(wanted, 'load', sp.id, (ord, vector) => {
      if (vector === null) throw missingError(space, wanted[ord]);
      if (vector.length !== rowBytes) {
        throw new InvalidInputError('FEATURES_DIM_MISMATCH', `stored vector for image ${wanted[ord].imageSha256} view '${wanted[ord].view}' has ${vector.length} bytes, expected ${rowBytes}`);
      }
      bytes.set(vector, ord * rowBytes);
    });
    return { dim: sp.dim, data };
  }

  async count(space?: FeatureSpace): Promise<number> {
    if (!space) return (await this.#db.one<{ n: number }>('SELECT COUNT(*) AS n FROM features'))!.n;
    const sp = await this.#space(this.#db, space);
    return sp ? (await this.#db.one<{ n: number }>('SELECT COUNT(*) AS n FROM features WHERE space_id = ?', [sp.id]))!.n : 0;
  }

  #space(db: SqlQueryable, space: FeatureSpace): Promise<SpaceRow | undefined> {
    return db.one<SpaceRow>('SELECT id, dim FROM feature_spaces WHERE backbone_sha256 = ? AND preprocessing_id = ?', [space.backboneSha256, space.preprocessingId]);
  }

  /**
   * Visits, in the order asked, the keys of `wanted` that are absent (`missing`: vector undefined) or every key
   * with its vector or null (`load`). One read transaction; one statement per slice of keys.
   */
  async #lookup(wanted: readonly FeatureKey[], mode: 'missing' | 'load', spaceId: number, visit: (ord: number, vector: Buffer | null) => void): Promise<void> {
    if (wanted.length === 0) return;
    const pg = this.#db.dialect === 'postgres';
    await this.#db.transaction(async (tx) => {
      if (!pg) await this.#db.script(WANTED_DDL, tx);
      let base = 0;
      for (const slice of chunked(wanted, pg ? LOOKUP_CHUNK : wanted.length)) {
        const rows = pg ? await this.#pgLookup(tx, slice, mode, spaceId) : await this.#sqliteLookup(tx, slice, mode, spaceId);
        for (const [ord, vector] of rows) visit(base + ord, vector);
        base += slice.length;
      }
    }, { readOnly: true }); // SQLite: a deferred BEGIN; writing the TEMP table takes no lock on the store
  }

  async #pgLookup(tx: SqlQueryable, slice: readonly FeatureKey[], mode: 'missing' | 'load', spaceId: number): Promise<[number, Buffer | null][]> {
    const keys: SqlValue[] = [spaceId];
    const arrays: SqlValue[] = [slice.map((k) => k.imageSha256), slice.map((k) => k.view)];
    const wantedSql = 'unnest(?::text[], ?::text[]) WITH ORDINALITY AS w(image_sha256, view, ord)';
    const rows = mode === 'missing'
      ? await tx.query<{ ord: number }>(
        `SELECT w.ord FROM ${wantedSql}
         WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.space_id = ? AND f.image_sha256 = w.image_sha256 AND f.view = w.view) ORDER BY w.ord`,
        [...arrays, ...keys])
      : await tx.query<{ ord: number; vector: Buffer | null }>(
        `SELECT w.ord, f.vector FROM ${wantedSql}
         LEFT JOIN features f ON f.space_id = ? AND f.image_sha256 = w.image_sha256 AND f.view = w.view ORDER BY w.ord`,
        [...arrays, ...keys]);
    return rows.map((r) => [r.ord - 1, 'vector' in r ? (r.vector as Buffer | null) : null]);
  }

  async #sqliteLookup(tx: SqlQueryable, slice: readonly FeatureKey[], mode: 'missing' | 'load', spaceId: number): Promise<[number, Buffer | null][]> {
    await tx.exec('DELETE FROM feature_wanted');
    await tx.execMany('INSERT INTO feature_wanted (ord, image_sha256, view) VALUES (?, ?, ?)', slice.map((k, i) => [i, k.imageSha256, k.view]));
    try {
      const rows = mode === 'missing'
        ? await tx.query<{ ord: number }>(
          `SELECT w.ord FROM feature_wanted w
           WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.space_id = ? AND f.image_sha256 = w.image_sha256 AND f.view = w.view) ORDER BY w.ord`,
          [spaceId])
        : await tx.query<{ ord: number; vector: Buffer | null }>(
          `SELECT w.ord, f.vector FROM feature_wanted w
           LEFT JOIN features f ON f.space_id = ? AND f.image_sha256 = w.image_sha256 AND f.view = w.view ORDER BY w.ord`,
          [spaceId]);
      return rows.map((r) => [r.ord, 'vector' in r ? (r.vector as Buffer | null) : null]);
    } finally {
      await tx.exec('DELETE FROM feature_wanted');
    }
  }
}

function dedup(keys: readonly FeatureKey[]): FeatureKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.imageSha256}\u0000${k.view}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

/** One multi-row INSERT cannot name a key twice on PostgreSQL; the first row of a key wins, as on SQLite. */
function dedupRows(rows: readonly FeatureRow[]): FeatureRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const id = `${r.imageSha256}\u0000${r.view}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
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
