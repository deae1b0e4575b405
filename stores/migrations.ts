/** Every component's migrations, listed explicitly; `openStores` and `pipeline store migrate` apply them. */
import { DATA_VERSION_MIGRATIONS } from './data-version-schema.ts';
import { FEATURE_MIGRATIONS } from './feature-schema.ts';
import { FILE_HASH_MIGRATIONS } from './file-hash-cache.ts';
import { MONITORING_MIGRATIONS } from './monitoring-schema.ts';
import { PREDICTION_MIGRATIONS } from './prediction-log-schema.ts';
import { REGISTRY_MIGRATIONS } from './registry-schema.ts';
import type { MigrationSet } from './sql/index.ts';
import { TRACKING_MIGRATIONS } from './tracking-schema.ts';
import { ROLLOUT_MIGRATIONS } from '../rollouts/store-schema.ts';

export const STORE_MIGRATIONS: readonly MigrationSet[] = [
  TRACKING_MIGRATIONS,
  REGISTRY_MIGRATIONS,
  FEATURE_MIGRATIONS,
  PREDICTION_MIGRATIONS,
  FILE_HASH_MIGRATIONS,
  DATA_VERSION_MIGRATIONS,
  MONITORING_MIGRATIONS,
  ROLLOUT_MIGRATIONS,
];
