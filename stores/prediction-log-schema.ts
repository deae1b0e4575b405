/**
 * Tables of the prediction log (`predictions`, one row per (request, variant)) and of ground-truth feedback
 * (`prediction_feedback`, one row per request). JSON columns are jsonb on PostgreSQL.
 */
import type { MigrationSet } from './sql/index.ts';

export const PREDICTION_MIGRATIONS: MigrationSet = {
  component: 'predictions',
  migrations: [{
    id: 202611010000,
    name: 'predictions',
    sqlite: `CREATE TABLE predictions (
     id INTEGER PRIMARY KEY,
     request_id TEXT NOT NULL,
     ts INTEGER NOT NULL,
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     alias TEXT,
     variant TEXT,
     top_k TEXT NOT NULL,
     latency_ms REAL NOT NULL,
     image_sha256 TEXT,
     input_stats TEXT
   );
   CREATE INDEX predictions_by_ts ON predictions (ts);
   CREATE INDEX predictions_by_model ON predictions (model_name, model_version, ts);`,
    postgres: `CREATE TABLE predictions (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     request_id TEXT NOT NULL,
     ts BIGINT NOT NULL,
     model_name TEXT NOT NULL,
     model_version INTEGER NOT NULL,
     alias TEXT,
     variant TEXT,
     top_k JSONB NOT NULL,
     latency_ms DOUBLE PRECISION NOT NULL,
     image_sha256 TEXT,
     input_stats JSONB
   );
   CREATE INDEX predictions_by_ts ON predictions (ts);
   CREATE INDEX predictions_by_model ON predictions (model_name, model_version, ts);`,
  }, {
    // Rollouts and monitoring: the client's own id beside the server's, top-1 as columns (per-variant agreement and
    // accuracy in SQL), the image's format and size, a compact embedding, a failed variant's error code, one row
    // per (request, variant) (duplicates from before are dropped, the first kept), and feedback labels.
    id: 202612020000,
    name: 'predictions for rollouts and monitoring',
    sqlite: `ALTER TABLE predictions ADD COLUMN client_request_id TEXT;
   ALTER TABLE predictions ADD COLUMN top1_class TEXT;
   ALTER TABLE predictions ADD COLUMN top1_prob REAL;
   ALTER TABLE predictions ADD COLUMN image_format TEXT;
   ALTER TABLE predictions ADD COLUMN image_bytes INTEGER;
   ALTER TABLE predictions ADD COLUMN embedding TEXT;
   ALTER TABLE predictions ADD COLUMN error_code TEXT;
   UPDATE predictions SET top1_class = json_extract(top_k, '$[0].class'), top1_prob = json_extract(top_k, '$[0].prob');
   DELETE FROM predictions WHERE id NOT IN (SELECT MIN(id) FROM predictions GROUP BY request_id, COALESCE(variant, ''));
   CREATE UNIQUE INDEX predictions_one_per_variant ON predictions (request_id, COALESCE(variant, ''));
   CREATE INDEX predictions_by_variant ON predictions (model_name, variant, ts);
   CREATE TABLE prediction_feedback (
     request_id TEXT PRIMARY KEY,
     label TEXT NOT NULL,
     label_id INTEGER,
     ts INTEGER NOT NULL,
     source TEXT
   );`,
    postgres: `ALTER TABLE predictions ADD COLUMN client_request_id TEXT,
     ADD COLUMN top1_class TEXT,
     ADD COLUMN top1_prob DOUBLE PRECISION,
     ADD COLUMN image_format TEXT,
     ADD COLUMN image_bytes BIGINT,
     ADD COLUMN embedding JSONB,
     ADD COLUMN error_code TEXT;
   UPDATE predictions SET top1_class = top_k->0->>'class', top1_prob = (top_k->0->>'prob')::double precision;
   DELETE FROM predictions WHERE id NOT IN (SELECT MIN(id) FROM predictions GROUP BY request_id, COALESCE(variant, ''));
   CREATE UNIQUE INDEX predictions_one_per_variant ON predictions (request_id, COALESCE(variant, ''));
   CREATE INDEX predictions_by_variant ON predictions (model_name, variant, ts);
   CREATE TABLE prediction_feedback (
     request_id TEXT PRIMARY KEY,
     label TEXT NOT NULL,
     label_id INTEGER,
     ts BIGINT NOT NULL,
     source TEXT
   );`,
  }],
};
