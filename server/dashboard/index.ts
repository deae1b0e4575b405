/**
 * The real-time dashboard, mounted on the inference app by one call: `GET /dashboard` (the page), `GET /events`
 * (a snapshot a second), `GET /dashboard/api/{snapshot,live,history}` and the `POST /dashboard/api/...` actions.
 * See server/README.md "Dashboard".
 */
import type Koa from 'koa';
import type { PredictionRecord } from '../../stores/prediction-log.ts';
import { LiveMetrics } from './live-metrics.ts';
import { resolveDashboardOptions, type DashboardOptions } from './options.ts';
import type { DashboardDeps } from './ports.ts';
import { dashboardRouter } from './routes.ts';
import { PredictionWindow } from './prediction-window.ts';
import { SnapshotBuilder } from './snapshot.ts';
import { SseHub } from './sse.ts';

export type { DashboardOptions } from './options.ts';

export interface Dashboard {
  /** Every prediction the server logs, as it is logged (the app tees its prediction sink here). O(1). */
  observe(row: PredictionRecord): void;
  /** Ends every event stream and stops the timers (the app's drain and close). */
  close(): void;
}

export function mountDashboard(app: Koa, deps: Omit<DashboardDeps, 'options'> & { options?: DashboardOptions }): Dashboard {
  const options = resolveDashboardOptions(deps.options);
  if (!options.enabled) return { observe() {}, close() {} };
  const d: DashboardDeps = { ...deps, options };
  const live = new LiveMetrics({ registry: d.registry, queueDepth: d.queueDepth, logQueue: d.logQueue, onError: (e) => d.onError(`dashboard: reading metrics: ${String(e)}`) });
  const window = new PredictionWindow(options.lowConfidence);
  const builder = new SnapshotBuilder(d, live, window);
  const hub = new SseHub({
    maxClients: options.maxClients,
    heartbeatMs: options.heartbeatMs,
    tickMs: options.snapshotMs,
    tick: async () => {
      void builder.refresh(); // the slow parts land in a later tick; this one goes out now
      return JSON.stringify(builder.build());
    },
    onError: d.onError,
  });
  live.start(1000);
  const router = dashboardRouter(d, { live, builder, hub });
  app.use(router.routes());
  return {
    observe: (row) => window.observe(row),
    close() {
      hub.close();
      live.stop();
    },
  };
}
