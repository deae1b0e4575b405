/** What the serve stage hands the server for monitoring: the projection lookup and the monitor loop. */
import { sinksFrom } from '../../monitor/settings.ts';
import type { StepContext } from '../../runner/context.ts';
import { startMonitorLoop } from '../../server/monitor-loop.ts';
import { projectionCache } from '../../server/projection-cache.ts';
import { createCapture } from '../../server/capture.ts';
import path from 'node:path';
import type { ServeParams } from './index.ts';
import { toMonitorConfig } from './monitoring-schema.ts';

export function monitoringDeps(ctx: StepContext, p: ServeParams) {
  const m = p.monitoring;
  if (!m.enabled) return {};
  const stores = { predictions: ctx.stores.predictions, monitoring: ctx.stores.monitoring };
  const sinks = sinksFrom(m, ctx.paths.workdir, ctx.log);
  const projection = projectionCache(ctx.stores.monitoring, { onError: (msg) => ctx.log.warn(msg) });
  const c = m.capture;
  const capture = c.enabled
    ? createCapture({ dir: path.resolve(ctx.paths.workdir, c.dir), outOfScope: c.out_of_scope, lowConfidence: c.low_confidence, sample: c.sample, maxImages: c.max_images, maxBytes: Math.round(c.max_mb * 1024 * 1024), outOfScopeModel: projection.outOfScope, log: ctx.log })
    : undefined;
  return {
    monitoring: { projection, ...(capture ? { capture } : {}) },
    startMonitor: (metrics: Parameters<typeof startMonitorLoop>[1]) =>
      startMonitorLoop(
        { stores, model: p.model, intervalMs: m.interval_s * 1000, windowRequests: m.window.requests, windowMinutes: m.window.minutes, config: toMonitorConfig(m), sinks, retrainCommand: m.retrain_command, log: ctx.log },
        metrics,
      ),
  };
}
