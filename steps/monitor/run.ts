/** The `monitor` stage's work. */
import path from 'node:path';
import { writeMonitoringReport } from '../../monitor/report.ts';
import { monitorPass, MonitorSkipped } from '../../monitor/run-window.ts';
import { sinksFrom } from '../../monitor/settings.ts';
import type { StepContext } from '../../runner/context.ts';
import { toMonitorConfig } from '../serve/monitoring-schema.ts';
import type { MonitorParams } from './index.ts';

export interface MonitorResult {
  readonly evaluated: boolean;
  readonly reason?: string;
  readonly version?: number;
  readonly n?: number;
  readonly drifted?: readonly string[];
  readonly alerts?: readonly string[];
  readonly report?: string;
}

export async function runMonitor(ctx: StepContext, p: MonitorParams): Promise<{ result: MonitorResult }> {
  const m = p.monitoring;
  let pass;
  try {
    pass = await monitorPass(ctx.stores, {
      model: p.model,
      version: p.version,
      window: { requests: m.window.requests, ...(m.window.minutes !== undefined ? { sinceTs: Date.now() - m.window.minutes * 60e3 } : {}) },
      config: toMonitorConfig(m),
      sinks: sinksFrom(m, ctx.paths.workdir, ctx.log),
      retrainCommand: m.retrain_command,
      log: ctx.log,
    });
  } catch (err) {
    if (!(err instanceof MonitorSkipped)) throw err;
    ctx.log.warn(`monitor: nothing evaluated: ${err.message}`);
    return { result: { evaluated: false, reason: err.message } };
  }
  const e = pass.evaluation;
  for (const [k, d] of Object.entries(e.detectors)) ctx.log.info(`${k}: ${d.method} score ${d.score.toPrecision(3)} threshold ${d.threshold.toPrecision(3)} -> ${d.verdict}`);
  if (e.causes.length) ctx.log.warn(`likely cause: ${e.causes.join('; ')}`);
  const report = await writeMonitoringReport(ctx.stores, { model: p.model, version: pass.version, dir: path.resolve(ctx.paths.workdir, m.report_dir), latest: pass });
  ctx.log.info(`report: ${path.relative(ctx.paths.workdir, report)}`);
  const fired = pass.alerts.filter((a) => a.event === 'fire');
  if (fired.length && p.fail_on_alert) throw new Error(`monitor: ${fired.length} alert(s) fired (${fired.map((a) => a.detector).join(', ')}); see ${report}; to retrain: ${m.retrain_command}`);
  return { result: { evaluated: true, version: pass.version, n: e.n, drifted: Object.entries(e.detectors).filter(([, d]) => d.verdict === 'drift').map(([k]) => k), alerts: pass.alerts.map((a) => a.id), report } };
}
