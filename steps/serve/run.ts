/** The `serve` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import type { StepContext } from '../../runner/context.ts';
import { configureSharp } from '../../ml/preprocess/index.ts';
import { startServer } from '../../server/index.ts';
import { predictionWriter } from './prediction-writer.ts';
import { dashboardOptions } from './dashboard-schema.ts';
import type { ServeParams } from './index.ts';
import { artifactCache, registrySource } from './registry-source.ts';
import { monitoringDeps } from './monitoring-deps.ts';
import { configuredNotifier } from '../../rollouts/notify-config.ts';
import { serverRollouts } from '../../rollouts/server-adapter.ts';

export async function runServe(ctx: StepContext, p: ServeParams) {
  const log = ctx.log;
  // This process is now a server: every upload is a new image, so libvips' operation cache only costs memory,
  // and parallelism comes from requests in flight (one libvips thread per image).
  configureSharp({ concurrency: 1, cache: false });
  const predictionLog = predictionWriter(ctx.stores.predictions, p.log_durability, p.deadline_ms, log);
  // Rollout events go where monitoring alerts go (serve.with.monitoring.notify), and always to the log.
  const notify = configuredNotifier(p.monitoring, ctx.paths.workdir, log);
  const server = await startServer({
    port: p.port,
    host: p.host,
    modelName: p.model,
    alias: p.alias,
    topK: p.top_k,
    maxBodyBytes: Math.round(p.max_body_mb * 1024 * 1024),
    maxPixels: Math.round(p.max_megapixels * 1e6),
    maxFullDecodePixels: Math.round(p.max_full_decode_megapixels * 1e6),
    deadlineMs: p.deadline_ms,
    uploadBudgetBytes: Math.round(p.upload_budget_mb * 1024 * 1024),
    uploadStallMs: p.upload_stall_ms,
    bodyIdleTimeoutMs: p.body_idle_timeout_ms,
    headersTimeoutMs: p.headers_timeout_ms,
    requestTimeoutMs: p.request_timeout_ms,
    inferenceTimeoutMs: p.inference_timeout_ms,
    maxInFlight: p.max_in_flight,
    maxBatch: p.max_batch,
    inferenceRuns: p.inference_workers,
    maxWaitMs: p.max_wait_ms,
    pollMs: p.poll_ms,
    drainDelayMs: p.drain_delay_ms,
    drainTimeoutMs: p.drain_timeout_ms,
    source: registrySource(ctx.stores.registry, artifactCache(ctx)),
    predictionLog,
    predictionStore: ctx.stores.predictions,
    monitoringView: ctx.stores.monitoring,
    dashboard: dashboardOptions(p.dashboard),
    ...monitoringDeps(ctx, p),
    feedback: ctx.stores.predictions,
    rollouts: serverRollouts(ctx.stores, { controller: p.rollout_controller, notify }),
    logger: log,
    // The runner owns the signals: its abort signal drains the server below.
    handleSignals: false,
    // Said once, when the model is loaded, not when the port opens (GET /ready tells the same to machines).
    onServing: ({ url, modelName, alias, version }) =>
      log.success(`serving ${modelName}@${alias} (v${version}) on ${url} (POST /predict, GET /health /ready /models /metrics /openapi.json${p.dashboard.enabled ? `; dashboard: ${url}/dashboard${p.dashboard.admin_token ? '' : ' (read-only)'}` : ''})`),
  });
  log.info(`listening on ${server.url}; loading ${p.model}@${p.alias}`);
  const stop = (): void => void server.shutdown();
  ctx.signal.addEventListener('abort', stop, { once: true });
  await server.closed;
  await notify.settled();
  ctx.signal.removeEventListener('abort', stop);
  log.info(`server stopped; prediction log flushed (${predictionLog.written} rows written${predictionLog.dropped ? `, ${predictionLog.dropped} dropped` : ''})`);
  return { result: { url: server.url } };
}
