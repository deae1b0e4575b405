/**
 * Tables of the model registry (component `registry`), per dialect. Append new migrations; never edit a shipped
 * one. `model_alias_events` is the audit trail of every alias move (register, promote, rollback, set, delete).
 * PostgreSQL: lineage and metrics are jsonb, timestamps and sizes BIGINT.
 */
import type { MigrationSet } from './sql/index.ts';

export const REGISTRY_MIGRATIONS: MigrationSet = {
  component: 'registry',
  migrations: [
    {
      id: 202611010000,
      name: 'models, versions, aliases, alias events',
      sqlite: `CREATE TABLE registered_models (
     name TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     alias_generation INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE model_versions (
     name TEXT NOT NULL REFERENCES registered_models(name),
     version INTEGER NOT NULL CHECK (version > 0),
     created_at INTEGER NOT NULL,
     artifact_dir TEXT NOT NULL,
     model_file TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     lineage TEXT NOT NULL,
     metrics TEXT NOT NULL,
     PRIMARY KEY (name, version)
   );
   CREATE TABLE model_aliases (
     name TEXT NOT NULL,
     alias TEXT NOT NULL,
     version INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (name, alias),
     FOREIGN KEY (name, version) REFERENCES model_versions(name, version)
   );
   CREATE TABLE model_alias_events (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL,
     alias TEXT NOT NULL,
     from_version INTEGER,
     to_version INTEGER,
     reason TEXT NOT NULL,
     ts INTEGER NOT NULL
   );
   CREATE INDEX model_alias_events_by_name ON model_alias_events (name, id);`,
      postgres: `CREATE TABLE registered_models (
     name TEXT PRIMARY KEY,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     alias_generation BIGINT NOT NULL DEFAULT 0
   );
   CREATE TABLE model_versions (
     name TEXT NOT NULL REFERENCES registered_models(name),
     version INTEGER NOT NULL CHECK (version > 0),
     created_at BIGINT NOT NULL,
     artifact_dir TEXT NOT NULL,
     model_file TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size BIGINT NOT NULL,
     lineage JSONB NOT NULL,
     metrics JSONB NOT NULL,
     PRIMARY KEY (name, version)
   );
   CREATE TABLE model_aliases (
     name TEXT NOT NULL,
     alias TEXT NOT NULL,
     version INTEGER NOT NULL,
     updated_at BIGINT NOT NULL,
     PRIMARY KEY (name, alias),
     FOREIGN KEY (name, version) REFERENCES model_versions(name, version)
   );
   CREATE TABLE model_alias_events (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     name TEXT NOT NULL,
     alias TEXT NOT NULL,
     from_version INTEGER,
     to_version INTEGER,
     reason TEXT NOT NULL,
     ts BIGINT NOT NULL
   );
   CREATE INDEX model_alias_events_by_name ON model_alias_events (name, id);`,
    },
    {
      id: 202612020200,
      name: 'versions by sha256',
      sqlite: 'CREATE INDEX model_versions_by_sha256 ON model_versions (name, sha256)',
      postgres: 'CREATE INDEX model_versions_by_sha256 ON model_versions (name, sha256)',
    },
  ],
};
