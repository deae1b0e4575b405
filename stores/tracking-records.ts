/**
 * Reading runs back: params, tags, metric series and artifacts of many runs with one query per table per slice
 * of run ids (never one query per run), for listings, `getRun` and the MLflow export.
 */
import type { SqlQueryable } from './sql/index.ts';
import { chunked } from './common.ts';
import type { ArtifactRecord, Metric, RunInfo, RunRecord, RunStatus } from './tracking-types.ts';

export interface RunRow {
  run_id: string; experiment_id: number; name: string; status: RunStatus; start_time: number; end_time: number | null;
  updated_at: number; parent_run_id: string | null; pid: number; host: string; error: string | null; lease_expires_at: number | null;
}
interface MetricRow { run_id: string; key: string; step: number; value: number | null; timestamp: number }
interface KvRow { run_id: string; key: string; value: string }

/** Runs asked for by id are read in slices of this many (bind-parameter limits). */
const ID_CHUNK = 500;

/** Params, tags and metric series of `rows`, one query per table per slice of ids. */
export async function loadRecords(db: SqlQueryable, rows: readonly RunRow[]): Promise<{ record: RunRecord; series: Record<string, Metric[]> }[]> {
  const params = new Map<string, Record<string, string>>();
  const tags = new Map<string, Record<string, string>>();
  const series = new Map<string, Record<string, Metric[]>>();
  for (const slice of chunked(rows.map((r) => r.run_id), ID_CHUNK)) {
    const marks = slice.map(() => '?').join(', ');
    for (const [table, into] of [['run_params', params], ['run_tags', tags]] as const) {
      for (const kv of await db.query<KvRow>(`SELECT run_id, key, value FROM ${table} WHERE run_id IN (${marks}) ORDER BY run_id, key`, slice)) {
        let m = into.get(kv.run_id);
        if (!m) into.set(kv.run_id, (m = {}));
        m[kv.key] = kv.value;
      }
    }
    const metricRows = await db.query<MetricRow>(
      `SELECT run_id, key, step, value, timestamp FROM run_metrics WHERE run_id IN (${marks}) ORDER BY run_id, key, step, timestamp, id`, slice);
    for (const m of metricRows) {
      let s = series.get(m.run_id);
      if (!s) series.set(m.run_id, (s = {}));
      (s[m.key] ??= []).push({ key: m.key, step: m.step, value: m.value ?? Number.NaN, timestamp: m.timestamp });
    }
  }
  return rows.map((row) => {
    const s = series.get(row.run_id) ?? {};
    const info: RunInfo = {
      runId: row.run_id, experimentId: row.experiment_id, name: row.name, status: row.status, startTime: row.start_time,
      endTime: row.end_time, parentRunId: row.parent_run_id, pid: row.pid, host: row.host, error: row.error,
    };
    const record: RunRecord = {
      ...info,
      params: params.get(row.run_id) ?? {},
      tags: tags.get(row.run_id) ?? {},
      metrics: Object.fromEntries(Object.entries(s).map(([k, list]) => [k, list[list.length - 1]])),
    };
    return { record, series: s };
  });
}

export async function loadArtifacts(db: SqlQueryable, runIds: readonly string[]): Promise<Map<string, ArtifactRecord[]>> {
  const out = new Map<string, ArtifactRecord[]>();
  for (const slice of chunked(runIds, ID_CHUNK)) {
    const rows = await db.query<ArtifactRecord & { run_id: string }>(
      `SELECT run_id, path, sha256, size FROM run_artifacts WHERE run_id IN (${slice.map(() => '?').join(', ')}) ORDER BY run_id, path`, slice);
    for (const a of rows) {
      let list = out.get(a.run_id);
      if (!list) out.set(a.run_id, (list = []));
      list.push({ path: a.path, sha256: a.sha256, size: a.size });
    }
  }
  return out;
}
