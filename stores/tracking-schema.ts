/**
 * Tables of the tracking store (component `tracking`). Append new migrations; never edit a shipped one.
 * Plain SQL: the same shapes map to PostgreSQL (INTEGER PRIMARY KEY -> identity, REAL -> double precision).
 */
export const TRACKING_MIGRATIONS: readonly string[] = [
  `CREATE TABLE experiments (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     last_update_time INTEGER NOT NULL
   );
   CREATE TABLE experiment_tags (
     experiment_id INTEGER NOT NULL REFERENCES experiments(id),
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (experiment_id, key)
   );
   CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     experiment_id INTEGER NOT NULL REFERENCES experiments(id),
     name TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
     start_time INTEGER NOT NULL,
     end_time INTEGER,
     updated_at INTEGER NOT NULL,
     parent_run_id TEXT REFERENCES runs(run_id),
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     error TEXT
   );
   CREATE INDEX runs_by_experiment ON runs (experiment_id, name);
   CREATE INDEX runs_by_status ON runs (status);
   CREATE TABLE run_params (
     run_id TEXT NOT NULL REFERENCES runs(run_id),
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (run_id, key)
   );
   CREATE TABLE run_tags (
     run_id TEXT NOT NULL REFERENCES runs(run_id),
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (run_id, key)
   );
   CREATE TABLE run_metrics (
     id INTEGER PRIMARY KEY,
     run_id TEXT NOT NULL REFERENCES runs(run_id),
     key TEXT NOT NULL,
     step INTEGER NOT NULL,
     value REAL,
     timestamp INTEGER NOT NULL
   );
   CREATE INDEX run_metrics_by_run ON run_metrics (run_id, key, step);
   CREATE TABLE run_artifacts (
     run_id TEXT NOT NULL REFERENCES runs(run_id),
     path TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     size INTEGER NOT NULL,
     PRIMARY KEY (run_id, path)
   );`,
];
