/** Monitoring settings from the pipeline file (`serve.with.monitoring`, or a `monitor` stage), and their sinks. */
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { PipelineConfig } from '../runner/config/pipeline-config.ts';
import { monitoringSchema, type MonitoringParams } from '../steps/serve/monitoring-schema.ts';
import { jsonlSink, logSink, webhookSink, type AlertSink, type SinkLogger } from './sinks.ts';

/** The defaults, as a pipeline file without a monitoring block gets them. */
export function defaultMonitoring(): MonitoringParams {
  return Value.Default(monitoringSchema, {}) as MonitoringParams;
}

/** The monitoring block of the file's `monitor` stage, else its serve stage, else the defaults; and the model name. */
export function monitoringFromPipeline(config: PipelineConfig | undefined): { params: MonitoringParams; model?: string } {
  const stage = config?.stages.find((s) => s.step.name === 'monitor') ?? config?.stages.find((s) => s.step.name === 'serve');
  if (!stage) return { params: defaultMonitoring() };
  const p = stage.params as { monitoring?: MonitoringParams; model?: string };
  return { params: p.monitoring ?? defaultMonitoring(), model: p.model };
}

/** The configured sinks; relative file paths resolve against the workdir. An empty webhook URL is no sink. */
export function sinksFrom(params: MonitoringParams, workdir: string, log: SinkLogger): AlertSink[] {
  return params.notify.flatMap((s): AlertSink[] => {
    if ('webhook' in s) return s.webhook ? [webhookSink(s.webhook, { timeoutMs: s.timeout_ms, retries: s.retries })] : [];
    if ('file' in s) return [jsonlSink(path.resolve(workdir, s.file))];
    return s.log ? [logSink(log)] : [];
  });
}
