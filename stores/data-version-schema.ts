/** Tables of the data-versioning store, per dialect (JSON as TEXT on SQLite, jsonb on PostgreSQL). */
import type { MigrationSet } from './sql/index.ts';

export const DATA_VERSION_MIGRATIONS: MigrationSet = {
  component: 'data_versions',
  migrations: [
    {
      id: 202612020130,
      name: 'dataset versions, images, class counts',
      sqlite: `
        CREATE TABLE dataset_versions (
          version TEXT PRIMARY KEY,
          manifest_hash TEXT NOT NULL UNIQUE,
          name TEXT NOT NULL,
          source_root TEXT NOT NULL,
          layout TEXT NOT NULL,
          subset TEXT NOT NULL,
          classes TEXT NOT NULL,
          folds INTEGER NOT NULL,
          excluded TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE dataset_images (
          version TEXT NOT NULL REFERENCES dataset_versions (version) ON DELETE CASCADE,
          path TEXT NOT NULL,
          class TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          split TEXT NOT NULL CHECK (split IN ('train', 'test')),
          fold INTEGER,
          PRIMARY KEY (version, path)
        );
        CREATE INDEX dataset_images_sha256 ON dataset_images (sha256);
        CREATE TABLE dataset_class_counts (
          version TEXT NOT NULL REFERENCES dataset_versions (version) ON DELETE CASCADE,
          class TEXT NOT NULL,
          split TEXT NOT NULL,
          images INTEGER NOT NULL,
          PRIMARY KEY (version, class, split)
        );`,
      postgres: `
        CREATE TABLE dataset_versions (
          version TEXT PRIMARY KEY,
          manifest_hash TEXT NOT NULL UNIQUE,
          name TEXT NOT NULL,
          source_root TEXT NOT NULL,
          layout TEXT NOT NULL,
          subset JSONB NOT NULL,
          classes JSONB NOT NULL,
          folds INTEGER NOT NULL,
          excluded JSONB NOT NULL,
          created_at BIGINT NOT NULL
        );
        CREATE TABLE dataset_images (
          version TEXT NOT NULL REFERENCES dataset_versions (version) ON DELETE CASCADE,
          path TEXT NOT NULL,
          class TEXT NOT NULL,
          sha256 TEXT NOT NULL,
          split TEXT NOT NULL CHECK (split IN ('train', 'test')),
          fold INTEGER,
          PRIMARY KEY (version, path)
        );
        CREATE INDEX dataset_images_sha256 ON dataset_images (sha256);
        CREATE TABLE dataset_class_counts (
          version TEXT NOT NULL REFERENCES dataset_versions (version) ON DELETE CASCADE,
          class TEXT NOT NULL,
          split TEXT NOT NULL,
          images BIGINT NOT NULL,
          PRIMARY KEY (version, class, split)
        );`,
    },
  ],
};
