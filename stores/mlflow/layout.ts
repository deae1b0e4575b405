/**
 * MLflow's file-store layout (mlflow/store/tracking/file_store.py and mlflow/store/model_registry/file_store.py):
 * the content of each `meta.yaml`, metric lines, and file names. YAML is written like MLflow's `write_yaml`
 * (PyYAML safe_dump, block style, sorted keys).
 */
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import type { Experiment, RunRecord, RunStatus } from '../tracking-types.ts';
import type { ModelVersion, RegisteredModel } from '../registry-types.ts';

/** mlflow.entities.RunStatus: RUNNING=1, SCHEDULED=2, FINISHED=3, FAILED=4, KILLED=5. */
export const RUN_STATUS_CODE: Readonly<Record<RunStatus, number>> = { running: 1, finished: 3, failed: 4, killed: 5 };
/** mlflow.entities.SourceType.LOCAL, which the file store always writes. */
const SOURCE_TYPE_LOCAL = 4;

export const DEFAULT_EXPERIMENT_ID = '0';

export function toYaml(value: unknown): string {
  return YAML.stringify(value, { sortMapEntries: true, singleQuote: true, lineWidth: 0, nullStr: 'null' });
}

export function fileUri(absPath: string): string {
  return pathToFileURL(absPath).href;
}

export function experimentMeta(e: { id: string; name: string; createdAt: number; lastUpdateTime: number }, artifactLocation: string) {
  return {
    artifact_location: artifactLocation,
    creation_time: e.createdAt,
    experiment_id: e.id,
    last_update_time: e.lastUpdateTime,
    lifecycle_stage: 'active',
    name: e.name,
  };
}

export function experimentOf(e: Experiment) {
  return { id: String(e.id), name: e.name, createdAt: e.createdAt, lastUpdateTime: e.lastUpdateTime };
}

/** What `_make_persisted_run_info_dict` writes once a run is updated (no `deleted_time`). */
export function runMeta(run: RunRecord, artifactUri: string, userId: string) {
  return {
    artifact_uri: artifactUri,
    end_time: run.endTime,
    entry_point_name: '',
    experiment_id: String(run.experimentId),
    lifecycle_stage: 'active',
    run_id: run.runId,
    run_name: run.name,
    run_uuid: run.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: run.startTime,
    status: RUN_STATUS_CODE[run.status],
    tags: [],
    user_id: userId,
  };
}

/** The run's tags plus the `mlflow.*` system tags the UI reads. */
export function runTags(run: RunRecord, userId: string): Record<string, string> {
  const tags: Record<string, string> = { ...run.tags, 'mlflow.runName': run.name, 'mlflow.user': userId };
  if (run.parentRunId) tags['mlflow.parentRunId'] = run.parentRunId;
  if (run.error) tags['mlflow.note.content'] = `${run.status}: ${run.error}`;
  return tags;
}

/** `RegisteredModel` as `_save_registered_model_as_meta_file` writes it (tags and latest_versions removed). */
export function registeredModelMeta(m: RegisteredModel) {
  return {
    aliases: Object.fromEntries(Object.entries(m.aliases).map(([a, v]) => [a, String(v)])),
    creation_timestamp: m.createdAt,
    description: null,
    last_updated_timestamp: m.updatedAt,
    name: m.name,
  };
}

/** `FileModelVersion` as `_save_model_version_as_meta_file` writes it (tags removed, aliases kept in files). */
export function modelVersionMeta(v: ModelVersion, runId: string | null) {
  const source = fileUri(v.artifactDir);
  return {
    aliases: [],
    creation_timestamp: v.createdAt,
    current_stage: 'None',
    description: `${v.modelFile.slice(v.artifactDir.length + 1)} sha256 ${v.sha256}`,
    last_updated_timestamp: v.createdAt,
    name: v.name,
    run_id: runId,
    run_link: null,
    source,
    status: 'READY',
    status_message: null,
    storage_location: source,
    user_id: null,
    version: v.version,
  };
}

/** Version tags: lineage (`lineage.<key>`) and metrics (`metric.<key>`), so the UI shows where a model came from. */
export function modelVersionTags(v: ModelVersion): Record<string, string> {
  const tags: Record<string, string> = { sha256: v.sha256 };
  for (const [k, val] of Object.entries(v.lineage)) tags[`lineage.${k}`] = typeof val === 'string' ? val : JSON.stringify(val);
  for (const [k, val] of Object.entries(v.metrics)) tags[`metric.${k}`] = formatValue(val);
  return tags;
}

/** `<timestamp> <value> <step>` as `_log_run_metric` appends it. */
export function metricLine(m: { timestamp: number; value: number; step: number }): string {
  return `${m.timestamp} ${formatValue(m.value)} ${m.step}\n`;
}

/** Python's `str(float)` for the common cases (`1.0`, `nan`, `inf`); any form Python's float() reads is fine. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  return String(v);
}

/**
 * A metric, param or tag key as a relative file path. MLflow allows `/` (sub-directories) and `.`; anything
 * else outside [A-Za-z0-9_. :/-] becomes `_`, and empty, `.` or `..` segments are neutralised.
 */
export function keyPath(key: string): string {
  const parts = key.replace(/[^A-Za-z0-9_. :/-]/g, '_').split('/');
  return parts.map((p) => (p === '' || p === '.' || p === '..' ? '_' : p)).join('/');
}
