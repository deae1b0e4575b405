/** Tables of the feature store (component `features`), per dialect: vectors are BLOB / bytea. */
import type { MigrationSet } from './sql/index.ts';

export const FEATURE_MIGRATIONS: MigrationSet = {
  component: 'features',
  migrations: [{
    id: 202611010000,
    name: 'feature spaces and vectors',
    sqlite: `CREATE TABLE feature_spaces (
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
    postgres: `CREATE TABLE feature_spaces (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     backbone_sha256 TEXT NOT NULL,
     preprocessing_id TEXT NOT NULL,
     dim INTEGER NOT NULL CHECK (dim > 0),
     created_at BIGINT NOT NULL,
     UNIQUE (backbone_sha256, preprocessing_id)
   );
   CREATE TABLE features (
     space_id BIGINT NOT NULL REFERENCES feature_spaces(id),
     image_sha256 TEXT NOT NULL,
     view TEXT NOT NULL,
     vector BYTEA NOT NULL,
     created_at BIGINT NOT NULL,
     PRIMARY KEY (space_id, image_sha256, view)
   );`,
  }],
};
