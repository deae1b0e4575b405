/**
 * Tables of rollouts: the rollout (its state as JSON, one active per model by a partial unique index), its events
 * and analysis measurements, and the controller leases (one row per lease name, taken by an upsert that only
 * succeeds for the holder or once the lease expired).
 */
import type { MigrationSet } from '../stores/sql/index.ts';

const tables = (json: string, bigint: string, id: string) => `CREATE TABLE rollouts (
     id TEXT PRIMARY KEY,
     model_name TEXT NOT NULL,
     strategy TEXT NOT NULL,
     phase TEXT NOT NULL,
     active INTEGER NOT NULL,
     revision INTEGER NOT NULL,
     state ${json} NOT NULL,
     started_at ${bigint} NOT NULL,
     updated_at ${bigint} NOT NULL
   );
   CREATE INDEX rollouts_by_model ON rollouts (model_name, started_at);
   CREATE UNIQUE INDEX rollouts_one_active ON rollouts (model_name) WHERE active = 1;
   CREATE TABLE rollout_events (
     id ${id},
     rollout_id TEXT NOT NULL,
     ts ${bigint} NOT NULL,
     kind TEXT NOT NULL,
     message TEXT NOT NULL,
     actor TEXT NOT NULL,
     data ${json}
   );
   CREATE INDEX rollout_events_by_rollout ON rollout_events (rollout_id, id);
   CREATE TABLE rollout_analysis (
     id ${id},
     rollout_id TEXT NOT NULL,
     ts ${bigint} NOT NULL,
     step INTEGER NOT NULL,
     metric TEXT NOT NULL,
     variant TEXT NOT NULL,
     value DOUBLE PRECISION,
     threshold TEXT NOT NULL,
     verdict TEXT NOT NULL
   );
   CREATE INDEX rollout_analysis_by_rollout ON rollout_analysis (rollout_id, id);
   CREATE TABLE rollout_leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     expires_at ${bigint} NOT NULL
   );`;

export const ROLLOUT_MIGRATIONS: MigrationSet = {
  component: 'rollouts',
  migrations: [{
    id: 202612020100,
    name: 'rollouts',
    sqlite: tables('TEXT', 'INTEGER', 'INTEGER PRIMARY KEY'),
    postgres: tables('JSONB', 'BIGINT', 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
  }],
};
