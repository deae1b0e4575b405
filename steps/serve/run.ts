/** The `serve` stage's work (loaded only when the stage runs, so validating a pipeline stays fast). */
import type { StepContext } from '../../runner/context.ts';
import { startServer } from '../../server/index.ts';
import { createBatchedWriter } from '../../stores/batched-writer.ts';
import type { ServeParams } from './index.ts';
import { artifactCache, registrySource } from './registry-source.ts';

export async function runServe(ctx: StepContext, p: ServeParams) {
  const log = ctx.log;
  const predictionLog = createBatchedWriter(ctx.stores.predictions, {
    maxRows: 256,
    maxDelayMs: 500,
    maxQueued: 20_000,
    onError: (err, rows) => log.error(`prediction log: ${rows.length} rows dropped: ${(err as Error).message}`),
    onOverflow: (dropped) => log.warn(`prediction log: the store is not keeping up, rows are being dropped (${dropped} so far)`),
  });
  const server = await startServer({
    port: p.port,
    host: p.host,
    modelName: p.model,
    alias: p.alias,
    topK: p.top_k,
    maxBodyBytes: Math.round(p.max_body_mb * 1024 * 1024),
    maxPixels: Math.round(p.max_megapixels * 1e6),
    maxBatch: p.max_batch,
    maxWaitMs: p.max_wait_ms,
    pollMs: p.poll_ms,
    source: registrySource(ctx.stores.registry, artifactCache(ctx)),
    predictionLog,
    logger: log,
    // The runner owns the signals: its abort signal drains the server below.
    handleSignals: false,
  });
  log.success(`serving ${p.model}@${p.alias} on ${server.url} (POST /predict, GET /health /ready /models /metrics /openapi.json)`);
  const stop = (): void => void server.close();
  ctx.signal.addEventListener('abort', stop, { once: true });
  await server.closed;
  ctx.signal.removeEventListener('abort', stop);
  log.info(`server stopped; prediction log flushed (${predictionLog.written} rows written${predictionLog.dropped ? `, ${predictionLog.dropped} dropped` : ''})`);
  return { result: { url: server.url } };
}
