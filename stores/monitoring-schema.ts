/**
 * Tables of monitoring (issue 12): the reference profile of each model version, one row per (window, detector)
 * evaluated, the alert state machine per (model, detector), and the alerts raised (with acknowledgement).
 * JSON columns are jsonb on PostgreSQL.
 */
import type { MigrationSet } from './sql/index.ts';

const tables = (json: string, big: string, real: string, id: string) => `CREATE TABLE monitoring_profiles (
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     created_at ${big} NOT NULL,
     size INTEGER NOT NULL,
     profile ${json} NOT NULL,
     PRIMARY KEY (model_name, model_version)
   );
   CREATE TABLE monitoring_results (
     id ${id},
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     window_start ${big} NOT NULL,
     window_end ${big} NOT NULL,
     n INTEGER NOT NULL,
     detector TEXT NOT NULL,
     method TEXT NOT NULL,
     score ${real},
     threshold ${real},
     verdict TEXT NOT NULL,
     details ${json},
     evaluated_at ${big} NOT NULL
   );
   CREATE INDEX monitoring_results_by_model ON monitoring_results (model_name, window_end);
   CREATE TABLE monitoring_alert_state (
     model_name TEXT NOT NULL,
     detector TEXT NOT NULL,
     status TEXT NOT NULL,
     streak INTEGER NOT NULL,
     updated_at ${big} NOT NULL,
     PRIMARY KEY (model_name, detector)
   );
   CREATE TABLE monitoring_alerts (
     id TEXT PRIMARY KEY,
     ts ${big} NOT NULL,
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     detector TEXT NOT NULL,
     event TEXT NOT NULL,
     message TEXT NOT NULL,
     command TEXT NOT NULL,
     payload ${json} NOT NULL,
     acknowledged_by TEXT,
     acknowledged_at ${big}
   );
   CREATE INDEX monitoring_alerts_by_model ON monitoring_alerts (model_name, ts);`;

export const MONITORING_MIGRATIONS: MigrationSet = {
  component: 'monitoring',
  migrations: [{
    id: 202612020200,
    name: 'monitoring profiles, window results and alerts',
    sqlite: tables('TEXT', 'INTEGER', 'REAL', 'INTEGER PRIMARY KEY'),
    postgres: tables('JSONB', 'BIGINT', 'DOUBLE PRECISION', 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
  }],
};
