/**
 * The monitor inside the server: every `intervalMs`, when at least one new window of predictions of the served
 * version has been logged since the last evaluated one, it runs a monitoring pass (monitor/run-window.ts), exports
 * the scores as Prometheus gauges, and the pass sends alerts to the sinks. Never throws into the server: a failed
 * pass is logged and retried at the next tick.
 */
import type { MonitorConfigInput } from '../ml/monitoring/config.ts';
import { evaluateOffThread } from '../monitor/evaluate-off-thread.ts';
import { monitorPass, MonitorSkipped } from '../monitor/run-window.ts';
import type { AlertSink } from '../monitor/sinks.ts';
import type { MonitoringStore } from '../stores/monitoring-store.ts';
import type { PredictionLog } from '../stores/prediction-log.ts';
import type { ServerLogger } from './logger.ts';
import type { ServerMetrics } from './metrics.ts';

export interface MonitorLoopOptions {
  readonly stores: { readonly predictions: PredictionLog; readonly monitoring: MonitoringStore };
  readonly model: string;
  readonly intervalMs: number;
  readonly windowRequests: number;
  readonly windowMinutes?: number;
  readonly config: MonitorConfigInput;
  readonly sinks: readonly AlertSink[];
  readonly retrainCommand: string;
  readonly log: ServerLogger;
}

export interface MonitorLoop {
  /** Runs one tick now (tests, admin hooks); resolves when it is done. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startMonitorLoop(o: MonitorLoopOptions, metrics: ServerMetrics): MonitorLoop {
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastSkip = '';
  /** window_end of the window whose scores the gauges show. */
  let exported = 0;
  const once = async () => {
    const newest = await o.stores.predictions.recent(1, { modelName: o.model });
    if (!newest.length) return;
    const version = newest[0]!.modelVersion;
    const since = await o.stores.monitoring.lastWindowEnd(o.model);
    const fresh = await o.stores.predictions.count({ modelName: o.model, modelVersion: version, sinceTs: since + 1 });
    if (fresh < o.windowRequests) {
      // No new window: export the newest one in the store (a `pipeline monitor` run may have evaluated it).
      if (since > exported) {
        const latest = await o.stores.monitoring.latest(o.model);
        const v = (latest[0] as { modelVersion?: number } | undefined)?.modelVersion;
        if (latest.length && v !== undefined) metrics.observeMonitoring(o.model, v, latest, await o.stores.monitoring.alerting(o.model));
        exported = since;
      }
      return;
    }
    try {
      const pass = await monitorPass(o.stores, {
        model: o.model,
        version,
        window: { requests: o.windowRequests, ...(o.windowMinutes !== undefined ? { sinceTs: Date.now() - o.windowMinutes * 60e3 } : {}) },
        config: o.config,
        sinks: o.sinks,
        retrainCommand: o.retrainCommand,
        log: o.log,
        // The detectors cost ~0.5 s of CPU per window: not on the event loop that answers requests.
        evaluate: evaluateOffThread,
      });
      const alerting = await o.stores.monitoring.alerting(o.model);
      metrics.observeMonitoring(o.model, version, Object.entries(pass.evaluation.detectors).map(([detector, d]) => ({ detector, ...d })), alerting);
      exported = pass.windowEnd;
      lastSkip = '';
    } catch (err) {
      if (!(err instanceof MonitorSkipped)) throw err;
      if (err.message !== lastSkip) o.log.warn(`monitoring: ${err.message}`);
      lastSkip = err.message;
    }
  };
  const tick = () =>
    (running ??= once()
      .catch((err: unknown) => o.log.error(`monitoring pass failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (running = undefined)));
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, o.intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
