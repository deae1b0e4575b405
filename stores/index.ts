/**
 * The stores a pipeline run uses, behind small interfaces, all in one SQLite file (WAL) by default:
 * tracking, model registry, feature store, prediction log and the file-hash memo.
 */
import path from 'node:path';
import { openDatabase, type Db } from './db.ts';
import { DeferredDataVersionStore } from './data-version-open.ts';
import type { DataVersionStore } from './data-version-store.ts';
import type { Clock } from './common.ts';
import { SqliteFeatureStore, type FeatureStore } from './feature-store.ts';
import { SqliteFileHashCache, type FileHashCache } from './file-hash-cache.ts';
import { SqlitePredictionLog, type PredictionLog } from './prediction-log.ts';
import { SqliteRegistryStore, type RegistryStore } from './registry-store.ts';
import { SqliteTrackingStore, type TrackingStore } from './tracking-store.ts';

export type { TrackingStore, RegistryStore, FeatureStore, PredictionLog, FileHashCache, DataVersionStore };

export interface Stores {
  readonly tracking: TrackingStore;
  readonly registry: RegistryStore;
  readonly features: FeatureStore;
  readonly predictions: PredictionLog;
  readonly fileHashes: FileHashCache;
  /** Dataset versions (one per split), their images and counts. */
  readonly dataVersions: DataVersionStore;
  /** Runs whose owner process died, marked `killed` when the stores were opened. */
  readonly recoveredRuns: number;
  close(): void;
}

export interface OpenStoresOptions {
  /** The SQLite file, e.g. `experiments/mlops.db`. */
  readonly dbFile: string;
  /** Where registered model files are copied, e.g. `experiments/registry`. */
  readonly registryDir: string;
  /** Injectable clock (tests). */
  readonly now?: Clock;
}

/** Opens (creating and migrating if needed) the stores, then marks runs orphaned by dead processes `killed`. */
export function openStores(opts: OpenStoresOptions): Stores {
  const db: Db = openDatabase(opts.dbFile);
  try {
    const tracking = new SqliteTrackingStore(db, { now: opts.now });
    // A file of its own for now: the SQL layer's migrations adopt (and drop) the legacy `schema_versions` table
    // that db.ts still uses. With the stores on one SqlClient, its tables join the main store.
    const dataVersions = new DeferredDataVersionStore(`sqlite:${path.join(path.dirname(opts.dbFile), 'data-versions.db')}`);
    const stores = {
      tracking,
      registry: new SqliteRegistryStore(db, { registryDir: opts.registryDir, now: opts.now }),
      features: new SqliteFeatureStore(db, { now: opts.now }),
      predictions: new SqlitePredictionLog(db),
      fileHashes: new SqliteFileHashCache(db, { now: opts.now }),
      dataVersions,
      recoveredRuns: tracking.recoverOrphans(),
      close: () => {
        void dataVersions.close();
        if (db.open) db.close();
      },
    };
    return stores;
  } catch (err) {
    db.close();
    throw err;
  }
}
