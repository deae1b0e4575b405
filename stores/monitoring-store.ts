/**
 * Monitoring's lasting record: reference profiles per model version, detector results per window, the alert state
 * machine per (model, detector) and the alerts raised. Implements the server's `MonitoringView` port (dashboard).
 * A window's results and the alert transitions they cause are written in one transaction that locks the model's
 * state rows, so two monitors (the server loop and a CLI run) never double-fire an alert.
 */
import { randomUUID } from 'node:crypto';
import type { AlertView, DetectorResultView, MonitoringView } from '../server/control-ports.ts';
import { systemClock, type Clock } from './common.ts';
import { parseJsonColumn, type SqlClient, type SqlTx } from './sql/index.ts';

export { MONITORING_MIGRATIONS } from './monitoring-schema.ts';

/** One detector's outcome in one window, as stored. */
export interface StoredDetectorResult {
  readonly detector: string;
  readonly method: string;
  readonly score: number;
  readonly threshold: number;
  readonly verdict: 'ok' | 'drift' | 'insufficient';
  readonly details?: unknown;
}

export interface WindowRecordInput {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly n: number;
  readonly results: readonly StoredDetectorResult[];
}

/** The hysteresis state of one (model, detector). */
export interface AlertStateRow {
  readonly status: 'ok' | 'alerting';
  readonly streak: number;
}

/** An alert as raised (fire or clear), with everything a sink sends. */
export interface MonitoringAlert extends AlertView {
  readonly modelVersion: number;
  readonly event: 'fire' | 'clear';
  /** The JSON a sink receives (model, window, detector, score, threshold, causes, command ...). */
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * Decides, from the previous state and the window's verdict, the new state and whether an alert fires or clears;
 * builds the alert body when it does. Called inside the transaction (pure: no I/O).
 */
export type AlertStepper = (detector: string, state: AlertStateRow, result: StoredDetectorResult) => {
  readonly state: AlertStateRow;
  readonly alert?: { readonly event: 'fire' | 'clear'; readonly message: string; readonly command: string; readonly payload: Record<string, unknown> };
};

export interface MonitoringStore extends MonitoringView {
  putProfile(modelName: string, version: number, profile: unknown): Promise<void>;
  /** The profile JSON of a version, or null when it has none. */
  getProfile(modelName: string, version: number): Promise<unknown>;
  hasProfile(modelName: string, version: number): Promise<boolean>;
  /**
   * Stores a window's rows and steps the alert states (only when the window ends after every window evaluated
   * before); resolves to the alerts raised (already stored).
   */
  recordWindow(w: WindowRecordInput, step: AlertStepper): Promise<MonitoringAlert[]>;
  /** Newest first. */
  recentAlerts(modelName: string, limit: number): Promise<MonitoringAlert[]>;
  /** End of the newest window evaluated for the model (0 when none). */
  lastWindowEnd(modelName: string): Promise<number>;
  /** Detectors whose alert is active (fired, not yet cleared). */
  alerting(modelName: string): Promise<Set<string>>;
}

interface ResultRow { window_end: number; detector: string; score: number | null; threshold: number | null; verdict: string; method: string; n: number; model_version: number }
interface AlertRow {
  id: string; ts: number; model_name: string; model_version: number; detector: string; event: string; message: string;
  command: string; payload: unknown; acknowledged_by: string | null; acknowledged_at: number | null;
}

const num = (v: number | null) => (v === null ? NaN : v);
/** NaN and infinities are not JSON numbers and not portable REAL values: stored as NULL. */
const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

const toView = (r: ResultRow): DetectorResultView & { method: string; n: number; modelVersion: number } => ({
  windowEnd: r.window_end, detector: r.detector, score: num(r.score), threshold: num(r.threshold), verdict: r.verdict as DetectorResultView['verdict'],
  method: r.method, n: r.n, modelVersion: r.model_version,
});

const toAlert = (r: AlertRow): MonitoringAlert => ({
  id: r.id, ts: r.ts, modelName: r.model_name, modelVersion: r.model_version, detector: r.detector, event: r.event as 'fire' | 'clear',
  message: r.message, command: r.command, payload: parseJsonColumn(r.payload, {}), acknowledgedBy: r.acknowledged_by, acknowledgedAt: r.acknowledged_at,
});

export class SqlMonitoringStore implements MonitoringStore {
  readonly #db: SqlClient;
  readonly #now: Clock;

  constructor(db: SqlClient, opts: { now?: Clock } = {}) {
    this.#db = db;
    this.#now = opts.now ?? systemClock;
  }

  async putProfile(modelName: string, version: number, profile: unknown): Promise<void> {
    const size = (profile as { size?: number }).size ?? 0;
    await this.#db.exec(
      `INSERT INTO monitoring_profiles (model_name, model_version, created_at, size, profile) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (model_name, model_version) DO UPDATE SET created_at = excluded.created_at, size = excluded.size, profile = excluded.profile`,
      [modelName, version, this.#now(), size, JSON.stringify(profile)],
    );
  }

  async getProfile(modelName: string, version: number): Promise<unknown> {
    const row = await this.#db.one<{ profile: unknown }>('SELECT profile FROM monitoring_profiles WHERE model_name = ? AND model_version = ?', [modelName, version]);
    return row ? parseJsonColumn(row.profile, null) : null;
  }

  async hasProfile(modelName: string, version: number): Promise<boolean> {
    return (await this.#db.one('SELECT 1 AS one FROM monitoring_profiles WHERE model_name = ? AND model_version = ?', [modelName, version])) !== undefined;
  }

  async recordWindow(w: WindowRecordInput, step: AlertStepper): Promise<MonitoringAlert[]> {
    return this.#db.transaction(async (tx) => {
      const now = this.#now();
      // A window that ends no later than one already evaluated (the same window looked at again) is recorded but
      // does not step the alert states: hysteresis counts windows, not looks.
      const prev = await tx.one<{ t: number | null }>('SELECT MAX(window_end) AS t FROM monitoring_results WHERE model_name = ?', [w.modelName]);
      const fresh = (prev?.t ?? -Infinity) < w.windowEnd;
      await tx.execMany(
        `INSERT INTO monitoring_results (model_name, model_version, window_start, window_end, n, detector, method, score, threshold, verdict, details, evaluated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        w.results.map((r) => [w.modelName, w.modelVersion, w.windowStart, w.windowEnd, w.n, r.detector, r.method, finiteOrNull(r.score), finiteOrNull(r.threshold), r.verdict,
          r.details === undefined ? null : JSON.stringify(r.details, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)), now]),
      );
      const alerts: MonitoringAlert[] = [];
      if (!fresh) return alerts;
      for (const r of w.results) {
        const state = await this.#lockState(tx, w.modelName, r.detector, now);
        const next = step(r.detector, state, r);
        await tx.exec('UPDATE monitoring_alert_state SET status = ?, streak = ?, updated_at = ? WHERE model_name = ? AND detector = ?',
          [next.state.status, next.state.streak, now, w.modelName, r.detector]);
        if (!next.alert) continue;
        const id = randomUUID();
        // Alerts of a model are read back in time order: one that follows another in the same millisecond (a clear
        // right after a fire) gets the next millisecond, never a tie that the random id would order by chance.
        const last = await tx.one<{ ts: number | null }>('SELECT MAX(ts) AS ts FROM monitoring_alerts WHERE model_name = ?', [w.modelName]);
        const ts = last?.ts == null ? now : Math.max(now, Number(last.ts) + 1);
        const alert: MonitoringAlert = {
          id, ts, modelName: w.modelName, modelVersion: w.modelVersion, detector: r.detector, event: next.alert.event,
          message: next.alert.message, command: next.alert.command, payload: { id, ...next.alert.payload }, acknowledgedBy: null, acknowledgedAt: null,
        };
        await tx.exec(
          `INSERT INTO monitoring_alerts (id, ts, model_name, model_version, detector, event, message, command, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [id, ts, w.modelName, w.modelVersion, r.detector, alert.event, alert.message, alert.command, JSON.stringify(alert.payload)],
        );
        alerts.push(alert);
      }
      return alerts;
    });
  }

  async #lockState(tx: SqlTx, model: string, detector: string, now: number): Promise<AlertStateRow> {
    await tx.exec(`INSERT INTO monitoring_alert_state (model_name, detector, status, streak, updated_at) VALUES (?, ?, 'ok', 0, ?) ON CONFLICT (model_name, detector) DO NOTHING`, [model, detector, now]);
    const row = await tx.one<{ status: string; streak: number }>(`SELECT status, streak FROM monitoring_alert_state WHERE model_name = ? AND detector = ?${tx.forUpdate}`, [model, detector]);
    return { status: row!.status === 'alerting' ? 'alerting' : 'ok', streak: row!.streak };
  }

  async latest(modelName: string): Promise<readonly DetectorResultView[]> {
    const rows = await this.#db.query<ResultRow>(
      `SELECT * FROM monitoring_results WHERE model_name = ? AND evaluated_at = (SELECT MAX(evaluated_at) FROM monitoring_results WHERE model_name = ?)
       AND window_end = (SELECT MAX(window_end) FROM monitoring_results WHERE model_name = ? AND evaluated_at = (SELECT MAX(evaluated_at) FROM monitoring_results WHERE model_name = ?)) ORDER BY id`,
      [modelName, modelName, modelName, modelName],
    );
    return rows.map(toView);
  }

  async history(modelName: string, sinceTs: number): Promise<readonly DetectorResultView[]> {
    const rows = await this.#db.query<ResultRow>('SELECT * FROM monitoring_results WHERE model_name = ? AND window_end >= ? ORDER BY window_end, id', [modelName, sinceTs]);
    return rows.map(toView);
  }

  async alerts(modelName: string, sinceTs: number): Promise<readonly AlertView[]> {
    const rows = await this.#db.query<AlertRow>('SELECT * FROM monitoring_alerts WHERE model_name = ? AND ts >= ? ORDER BY ts, id', [modelName, sinceTs]);
    return rows.map(toAlert);
  }

  async recentAlerts(modelName: string, limit: number): Promise<MonitoringAlert[]> {
    const rows = await this.#db.query<AlertRow>('SELECT * FROM monitoring_alerts WHERE model_name = ? ORDER BY ts DESC, id DESC LIMIT ?', [modelName, Math.max(0, Math.floor(limit))]);
    return rows.map(toAlert);
  }

  async acknowledge(alertId: string, actor: string): Promise<void> {
    const changed = await this.#db.exec('UPDATE monitoring_alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?', [actor, this.#now(), alertId]);
    if (changed === 0) throw new Error(`acknowledge: no alert with id '${alertId}' (list them with \`pipeline monitor alerts\`)`);
  }

  async alerting(modelName: string): Promise<Set<string>> {
    const rows = await this.#db.query<{ detector: string }>("SELECT detector FROM monitoring_alert_state WHERE model_name = ? AND status = 'alerting'", [modelName]);
    return new Set(rows.map((r) => r.detector));
  }

  async lastWindowEnd(modelName: string): Promise<number> {
    const row = await this.#db.one<{ t: number | null }>('SELECT MAX(window_end) AS t FROM monitoring_results WHERE model_name = ?', [modelName]);
    return row?.t ?? 0;
  }
}
