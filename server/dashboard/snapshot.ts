/**
 * The JSON snapshot every `/events` client gets each second. The live sample comes from the metrics registry and
 * the prediction panels from the in-memory window (`prediction-window.ts`), at no cost to requests; the labelled
 * rows (feedback accuracy), the rollout and monitoring are re-read every `storeRefreshMs` while someone watches
 * (and at once after an action), so N watchers cost the store one read per refresh, not N.
 */
import type { AlertView, DetectorResultView, RolloutStatusView } from '../control-ports.ts';
import type { LiveMetrics, LiveSample } from './live-metrics.ts';
import type { DashboardDeps } from './ports.ts';
import type { PredictionWindow } from './prediction-window.ts';
import { feedbackAccuracy, type StorePanels } from './store-panels.ts';

/** The window the class, confidence, low-confidence and variant panels describe; labelled rows read at most. */
export const PANEL_WINDOW_MS = 5 * 60_000;
export const LABELLED_ROWS = 1000;

export interface ModelRow {
  readonly alias: string;
  readonly name: string | null;
  readonly version: number | null;
  /** `routed` (what /predict serves), a rollout role (`primary`, `shadow`) with its variant, or `loaded`. */
  readonly role: string;
  /** ISO time the version was loaded into this slot. */
  readonly since: string | null;
  readonly healthy: boolean;
}

export interface MonitoringPanels {
  readonly latest: readonly DetectorResultView[];
  readonly alerts: readonly AlertView[];
  readonly outOfScope: DetectorResultView | null;
  readonly labelFreeAccuracy: DetectorResultView | null;
}

export interface Snapshot {
  readonly ts: number;
  readonly modelName: string;
  readonly meta: {
    readonly readOnly: boolean;
    readonly rollouts: boolean;
    readonly monitoring: boolean;
    readonly predictionStore: boolean;
    /** Thumbnails need captured images, which the monitoring port does not offer: always false for now. */
    readonly capture: boolean;
    readonly latencySloMs: number;
    readonly lowConfidence: number;
    readonly panelWindowMs: number;
  };
  readonly live: LiveSample | null;
  readonly models: readonly ModelRow[];
  readonly store: StorePanels | null;
  readonly rollout: RolloutStatusView | null;
  readonly monitoring: MonitoringPanels | null;
  /** What could not be read on the last refresh (the panels keep their previous values). */
  readonly problems: readonly string[];
}

export class SnapshotBuilder {
  readonly #d: DashboardDeps;
  readonly #live: LiveMetrics;
  readonly #window: PredictionWindow;
  #reference: Readonly<Record<string, number>> | null = null;
  #feedback: ReturnType<typeof feedbackAccuracy> | null = null;
  #rollout: RolloutStatusView | null = null;
  #monitoring: MonitoringPanels | null = null;
  #problems: string[] = [];
  #refreshing: Promise<void> | undefined;
  #refreshedAt = 0;

  constructor(d: DashboardDeps, live: LiveMetrics, window: PredictionWindow) {
    this.#d = d;
    this.#live = live;
    this.#window = window;
  }

  /** Re-reads the slow parts when they are older than `storeRefreshMs` (or `force`); one read at a time. */
  refresh(force = false, now = Date.now()): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    if (!force && now - this.#refreshedAt < this.#d.options.storeRefreshMs) return Promise.resolve();
    this.#refreshing = this.#read(now).finally(() => {
      this.#refreshing = undefined;
      this.#refreshedAt = Date.now();
    });
    return this.#refreshing;
  }

  async #read(now: number): Promise<void> {
    const d = this.#d;
    const problems: string[] = [];
    const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    };
    const [rollout, monitoring] = await Promise.all([
      d.rollouts ? attempt('rollout', () => d.rollouts!.current(d.modelName)) : null,
      d.monitoring ? attempt('monitoring', () => this.#readMonitoring(now)) : null,
    ]);
    if (rollout !== undefined) this.#rollout = rollout;
    if (monitoring !== undefined) this.#monitoring = monitoring;
    if (d.monitoring?.referenceClassShares) {
      const reference = await attempt('reference', () => d.monitoring!.referenceClassShares!(d.modelName));
      if (reference !== undefined) this.#reference = reference;
    }
    if (d.predictions) {
      const rows = await attempt('prediction log', () => d.predictions!.recent(LABELLED_ROWS, { modelName: d.modelName, sinceTs: now - PANEL_WINDOW_MS, labelled: true }));
      if (rows) this.#feedback = feedbackAccuracy(rows, this.#shadows());
    }
    this.#problems = problems;
    for (const p of problems) d.onError(`dashboard: ${p}`);
  }

  #shadows(): Set<string> {
    return new Set((this.#rollout?.variants ?? []).filter((v) => v.role === 'shadow').map((v) => v.variant));
  }

  #storePanels(now: number): StorePanels {
    const w = this.#window.panels(now, this.#reference, this.#shadows());
    const fb = this.#feedback;
    return {
      windowStart: now - PANEL_WINDOW_MS,
      rows: w.rows,
      classes: w.classes,
      confidence: w.confidence,
      lowConfidence: w.lowConfidence,
      feedback: fb ? { labelled: fb.labelled, accuracy: fb.accuracy } : null,
      variants: w.variants.map((v) => ({ ...v, ...(fb?.variants.get(v.variant) ?? {}) })),
    };
  }

  async #readMonitoring(now: number): Promise<MonitoringPanels> {
    const m = this.#d.monitoring!;
    const [latest, alerts] = await Promise.all([m.latest(this.#d.modelName), m.alerts(this.#d.modelName, now - 86_400_000)]);
    const newest = [...alerts].sort((a, b) => Number(a.acknowledgedAt !== null) - Number(b.acknowledgedAt !== null) || b.ts - a.ts).slice(0, 20);
    return {
      latest,
      alerts: newest,
      outOfScope: latest.find((r) => r.detector.startsWith('out_of_scope')) ?? null,
      labelFreeAccuracy: latest.find((r) => r.detector.startsWith('cbpe')) ?? null,
    };
  }

  models(): ModelRow[] {
    const d = this.#d;
    return d.holder.aliases().map((alias) => {
      const m = d.holder.current(alias);
      const variant = this.#rollout?.variants.find((v) => v.alias === alias || (m && v.version === m.version && v.alias === null));
      const role = alias === d.routedAlias ? 'routed' : variant ? `${variant.role} (${variant.variant})` : 'loaded';
      return { alias, name: m?.name ?? null, version: m?.version ?? null, role, since: m?.loadedAt ?? null, healthy: m?.healthy() ?? false };
    });
  }

  build(now = Date.now()): Snapshot {
    const d = this.#d;
    return {
      ts: now,
      modelName: d.modelName,
      meta: {
        readOnly: !d.options.adminToken,
        rollouts: d.rollouts !== undefined,
        monitoring: d.monitoring !== undefined,
        predictionStore: d.predictions !== undefined,
        capture: false,
        latencySloMs: d.options.latencySloMs,
        lowConfidence: d.options.lowConfidence,
        panelWindowMs: PANEL_WINDOW_MS,
      },
      live: this.#live.latest() ?? null,
      models: this.models(),
      store: this.#storePanels(now),
      rollout: this.#rollout,
      monitoring: this.#monitoring,
      problems: this.#problems,
    };
  }
}
