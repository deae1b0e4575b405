/**
 * The rollout notifier a pipeline file configures: the sinks of its monitoring block (`serve.with.monitoring.notify`,
 * or a `monitor` stage's), plus the log when they do not include it, so every event is at least logged. One place
 * for the server, the register stage and the CLI (which prints its own line, so it passes `log: false`).
 */
import { sinksFrom } from '../monitor/settings.ts';
import { logSink, type SinkLogger } from '../monitor/sinks.ts';
import type { MonitoringParams } from '../steps/serve/monitoring-schema.ts';
import { sinkNotifier } from './notify.ts';

export function configuredNotifier(params: MonitoringParams, workdir: string, log: SinkLogger, opts: { log?: boolean } = {}): ReturnType<typeof sinkNotifier> {
  const others = sinksFrom(params, workdir, log).filter((s) => s.name !== 'log');
  return sinkNotifier(opts.log === false ? others : [...others, logSink(log)], (m) => log.warn(m));
}
