/**
 * The stores a pipeline run uses, behind small async interfaces, in one database chosen by URL: SQLite (the
 * embedded default, `sqlite:experiments/mlops.db`) or PostgreSQL (`postgres://...`). Tracking, model registry,
 * feature store, prediction log, the file-hash memo and the dataset versions.
 */
import { describeLocation, migrate, openSql, parseStoreUrl, type MigrateResult, type SqlClient, type StoreLocation } from './sql/index.ts';
import type { Clock } from './common.ts';
import { SqlDataVersionStore, type DataVersionStore } from './data-version-store.ts';
import { SqlFeatureStore, type FeatureStore } from './feature-store.ts';
import { SqlFileHashCache, type FileHashCache } from './file-hash-cache.ts';
import { STORE_MIGRATIONS } from './migrations.ts';
import { SqlMonitoringStore, type MonitoringStore } from './monitoring-store.ts';
import { SqlPredictionLog, type PredictionLog } from './prediction-log.ts';
import { SqlRegistryStore, type RegistryStore } from './registry-store.ts';
import { SqlTrackingStore, type TrackingStore } from './tracking-store.ts';
import { SqlRolloutStore, type RolloutStore } from '../rollouts/store.ts';
import { VariantMetrics } from '../rollouts/variant-metrics.ts';

export type { TrackingStore, RegistryStore, FeatureStore, PredictionLog, FileHashCache, DataVersionStore, MonitoringStore };

export interface Stores {
  readonly tracking: TrackingStore;
  readonly registry: RegistryStore;
  readonly features: FeatureStore;
  readonly predictions: PredictionLog;
  readonly fileHashes: FileHashCache;
  /** Dataset versions (one per split), their images and counts per class and split. */
  readonly dataVersions: DataVersionStore;
  /** Reference profiles, detector results per window, alerts (issue 12). */
  readonly monitoring: MonitoringStore;
  /** Rollouts (state, events, analysis, controller leases) and the per-variant aggregates of the prediction log. */
  readonly rollouts: RolloutStore;
  readonly variantMetrics: VariantMetrics;
  /** Where the stores live (printable, password removed). */
  readonly target: string;
  /** Runs whose owner died (lease expired), marked `killed` when the stores were opened. */
  readonly recoveredRuns: number;
  /** The migrations applied by this open. */
  readonly migrated: MigrateResult;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /** `sqlite:<file>`, a bare SQLite path, or `postgres://...`; or an already parsed location. */
  readonly url: string | StoreLocation;
  /** Relative SQLite paths resolve against this. Default: the current directory. */
  readonly baseDir?: string;
  /** Where registered model files are copied, e.g. `experiments/registry`. */
  readonly registryDir: string;
  /** Refuse to create a missing SQLite file (read-only CLI commands). */
  readonly mustExist?: boolean;
  /** Injectable clock (tests). */
  readonly now?: Clock;
  /** Heartbeat lease of runs (tests shorten it). */
  readonly leaseMs?: number;
}

/** Opens the database, applies pending migrations, then marks runs orphaned by dead processes `killed`. */
export async function openStores(opts: OpenStoresOptions): Promise<Stores> {
  const loc = typeof opts.url === 'string' ? parseStoreUrl(opts.url, opts.baseDir) : opts.url;
  const db: SqlClient = await openSql(loc, { mustExist: opts.mustExist });
  try {
    const migrated = await migrate(db, STORE_MIGRATIONS);
    return await storesOn(db, { ...opts, target: describeLocation(loc), migrated });
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** The stores on an open, migrated client (tests and the migrate command share it). */
export async function storesOn(db: SqlClient, opts: Omit<OpenStoresOptions, 'url'> & { target?: string; migrated?: MigrateResult }): Promise<Stores> {
  const tracking = new SqlTrackingStore(db, { now: opts.now, leaseMs: opts.leaseMs });
  const recoveredRuns = await tracking.recoverOrphans();
  return {
    tracking,
    registry: new SqlRegistryStore(db, { registryDir: opts.registryDir, now: opts.now }),
    features: new SqlFeatureStore(db, { now: opts.now }),
    predictions: new SqlPredictionLog(db),
    fileHashes: new SqlFileHashCache(db, { now: opts.now }),
    dataVersions: new SqlDataVersionStore(db, { now: opts.now }),
    monitoring: new SqlMonitoringStore(db, { now: opts.now }),
    rollouts: new SqlRolloutStore(db, { now: opts.now }),
    variantMetrics: new VariantMetrics(db),
    target: opts.target ?? db.target,
    recoveredRuns,
    migrated: opts.migrated ?? { applied: [] },
    close: async () => {
      tracking.close();
      await db.close(); // idempotent on both dialects
    },
  };
}
