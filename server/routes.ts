/**
 * The HTTP surface. Handlers only translate between HTTP and the predictor/holder; all checks live below them.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ResolvedServeOptions } from './config.ts';
import { HttpError, toHttpError, type ErrorBody } from './errors.ts';
import type { ServerLogger } from './logger.ts';
import type { ModelHolder } from './model-holder.ts';
import type { ServerMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { Deadline } from './deadline.ts';
import { notReady, type PredictionResult, type Predictor, type RequestWork } from './predictor.ts';
import { discardRest, type Upload, type UploadedFile } from './upload.ts';

export interface RouteDeps {
  readonly options: ResolvedServeOptions;
  readonly holder: ModelHolder;
  readonly predictor: Predictor;
  readonly metrics: ServerMetrics;
  readonly readUploads: (ctx: Context) => Promise<Upload>;
  /** Counts a request as being processed; throws 503 OVERLOADED past `maxInFlight`. Returns the release. */
  readonly admitWork: () => () => void;
  readonly isDraining: () => boolean;
  readonly log: ServerLogger;
}

/** State the outer middleware puts on every request. */
export interface RequestState {
  requestId: string;
  startedAt: number;
}

function fileFields(files: UploadedFile[]): Buffer[] {
  const mine = files.filter((f) => f.field === 'file');
  if (mine.length === 0) {
    const other = files.map((f) => `'${f.field}'`);
    throw new HttpError(400, 'MISSING_FILE', `no file in the multipart field 'file'${other.length ? ` (found ${other.join(', ')})` : ''}`);
  }
  return mine.map((f) => f.buffer);
}

function setModelHeaders(ctx: Context, alias: string, version: number | undefined): void {
  ctx.set('X-Model-Alias', alias);
  if (version !== undefined) ctx.set('X-Model-Version', String(version));
}

export function createRouter(d: RouteDeps): Router {
  const { options: o, holder } = d;
  const router = new Router();

  /**
   * Receives the body only when it can be served: without a model, or while its inference worker restarts, the
   * request is refused before one byte is read. Then the deadline starts, and the request counts as in flight.
   */
  const receive = async (ctx: Context): Promise<Upload> => {
    try {
      const model = holder.current(o.alias);
      if (!model) throw notReady(o.alias);
      if (!model.healthy()) {
        throw new HttpError(503, 'INFERENCE_UNAVAILABLE', `the inference worker of '${o.alias}' is restarting; retry shortly (GET /ready)`, { headers: { 'Retry-After': '1' } });
      }
      return await d.readUploads(ctx);
    } catch (err) {
      // Refused before the body was in: drop the rest (bounded) so the client reads the answer, not a reset.
      discardRest(ctx.req);
      throw err;
    }
  };
  const handle = async <T>(ctx: Context, fn: (files: Buffer[], work: RequestWork) => Promise<T>): Promise<T> => {
    const upload = await receive(ctx);
    let done: (() => void) | undefined;
    const deadline = new Deadline(performance.now() + o.deadlineMs, o.deadlineMs);
    try {
      done = d.admitWork();
      return await fn(fileFields(upload.files), { deadline, hold: (p) => upload.ticket.holdUntil(p) });
    } finally {
      deadline.clear();
      done?.();
      upload.ticket.release();
    }
  };
  const openapi = JSON.stringify(openApiDocument(o));

  router.get('/health', (ctx) => {
    const m = holder.current(o.alias);
    ctx.body = { status: 'ok', model_name: m?.name ?? null, model_version: m?.version ?? null, alias: m ? o.alias : null };
  });

  router.get('/ready', (ctx) => {
    const m = holder.current(o.alias);
    if (m?.healthy() && !d.isDraining()) {
      ctx.body = { ready: true, model_name: m.name, model_version: m.version, alias: o.alias };
      return;
    }
    const failure = holder.lastSwapError(o.alias);
    const recovering = m !== undefined && !m.healthy();
    const message = d.isDraining()
      ? 'shutting down'
      : recovering
        ? `the inference worker of '${o.alias}' (v${m.version}) is ${m.status() === 'recovering' ? 'restarting' : 'down; reloading the model'}`
        : `loading '${o.alias}'${failure ? `: last attempt failed: ${failure.message}` : ''}`;
    ctx.status = 503;
    ctx.set('Retry-After', '1');
    ctx.body = { ready: false, error: { status: 503, code: d.isDraining() ? 'SHUTTING_DOWN' : recovering ? 'INFERENCE_UNAVAILABLE' : 'MODEL_NOT_READY', message } };
  });

  router.post('/predict', async (ctx) => {
    const state = ctx.state as RequestState;
    const result = await handle(ctx, (files, work) => {
      if (files.length > 1) throw new HttpError(400, 'TOO_MANY_FILES', `/predict takes one file; send ${files.length} files to /predict/batch`);
      return d.predictor.predict(files[0]!, state.requestId, state.startedAt, work);
    });
    setModelHeaders(ctx, result.served_alias, result.model_version);
    ctx.body = result;
  });

  router.post('/predict/batch', async (ctx) => {
    const state = ctx.state as RequestState;
    // All files go at once: the batcher turns them into one or a few onnxruntime runs.
    const results: (PredictionResult | ErrorBody)[] = await handle(ctx, (files, work) =>
      Promise.all(
        files.map((bytes, i) =>
          d.predictor.predict(bytes, `${state.requestId}-${i}`, state.startedAt, work).catch((err: unknown) => {
            const { error, internal } = toHttpError(err);
            if (internal) d.log.error(`/predict/batch file ${i}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            return error.toJSON();
          }),
        ),
      ),
    );
    const served = results.find((r): r is PredictionResult => 'model_version' in r);
    setModelHeaders(ctx, o.alias, served?.model_version ?? holder.current(o.alias)?.version);
    ctx.body = { results };
  });

  router.get('/models', (ctx) => {
    const models = holder.aliases().map((alias) => {
      const m = holder.current(alias);
      const failure = holder.lastSwapError(alias) ?? null;
      if (!m) return { alias, loaded: false, last_swap_error: failure };
      return {
        alias,
        loaded: true,
        model_name: m.name,
        model_version: m.version,
        sha256: m.sha256,
        file: m.file,
        input: m.inputName,
        output: m.outputName,
        labels_count: m.labels.length,
        preprocessing: { id: m.preprocessingId, spec: m.spec },
        loaded_at: m.loadedAt,
        in_flight: holder.leases(m),
        last_swap_error: failure,
      };
    });
    ctx.body = { routed_alias: o.alias, models };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = d.metrics.registry.contentType;
    ctx.body = await d.metrics.registry.metrics();
  });

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openapi;
  });

  return router;
}
