/**
 * The HTTP surface. Handlers only translate between HTTP and the predictor/holder; all checks live below them.
 */
import path from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { CPU_BUDGET, type ResolvedServeOptions } from './config.ts';
import { HttpError, toHttpError, type ErrorBody } from './errors.ts';
import type { ServerLogger } from './logger.ts';
import type { ModelHolder } from './model-holder.ts';
import type { ServerMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { Deadline } from './deadline.ts';
import { budgetReport } from './cpu-budget.ts';
import { notReady, type PredictionResult, type Predictor, type RequestWork } from './predictor.ts';
import { discardRest, type Upload, type UploadedFile } from './upload.ts';
import { handleFeedback, type FeedbackDeps } from './feedback.ts';
import type { RolloutControl } from './control-ports.ts';
import type { PredictRoute, SharedInput } from './predictor.ts';
import type { ShadowMirror } from './shadow-mirror.ts';
import type { RouteDecision, VariantRouter } from './variant-router.ts';

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
  /** Which variant answers each request (a single model when no rollout runs). */
  readonly router: VariantRouter;
  readonly mirror: ShadowMirror;
  /** `POST /feedback`; absent: 501. */
  readonly feedback?: FeedbackDeps;
  /** `GET /rollout`; absent: 404. */
  readonly rolloutControl?: RolloutControl;
}

/** State the outer middleware puts on every request. */
export interface RequestState {
  /** The server's own id (unique; the prediction log's key and the id feedback refers to). */
  requestId: string;
  /** The client's `X-Request-Id`, when it sent a well-formed one (kept apart: clients repeat ids). */
  clientRequestId: string | null;
  startedAt: number;
}

const USER_ID = /^[\x21-\x7e]{1,128}$/;

/** The stickiness key: `X-User-Id` when sent (a user keeps their variant), else the server's request id. */
function stickyKey(ctx: Context, state: RequestState): string {
  const user = ctx.get('x-user-id');
  return USER_ID.test(user) ? `u:${user}` : `r:${state.requestId}`;
}

function fileFields(files: UploadedFile[]): Buffer[] {
  const mine = files.filter((f) => f.field === 'file');
  if (mine.length === 0) {
    const other = files.map((f) => `'${f.field}'`);
    throw new HttpError(400, 'MISSING_FILE', `no file in the multipart field 'file'${other.length ? ` (found ${other.join(', ')})` : ''}`);
  }
  return mine.map((f) => f.buffer);
}

function setModelHeaders(ctx: Context, alias: string, version: number | undefined, variant: string | null = null): void {
  ctx.set('X-Model-Alias', alias);
  if (version !== undefined) ctx.set('X-Model-Version', String(version));
  if (variant) ctx.set('X-Variant', variant);
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
    // Every model that answers primary traffic must be loaded (a candidate with weight > 0 too).
    const missing = d.router.primarySlots().filter((slot) => slot !== o.alias && holder.current(slot)?.healthy() !== true);
    if (m?.healthy() && !d.isDraining() && missing.length === 0) {
      ctx.body = { ready: true, model_name: m.name, model_version: m.version, alias: o.alias };
      return;
    }
    if (m?.healthy() && !d.isDraining()) {
      ctx.status = 503;
      ctx.set('Retry-After', '1');
      ctx.body = { ready: false, error: { status: 503, code: 'MODEL_NOT_READY', message: `loading the rollout candidate (${missing.join(', ')})${holder.lastSwapError(missing[0]!) ? `: last attempt failed: ${holder.lastSwapError(missing[0]!)!.message}` : ''}` } };
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

  /** The decision for this request, counted; the route handed to the predictor. */
  const decide = (ctx: Context, state: RequestState): { decision: RouteDecision; route: PredictRoute & { shared?: SharedInput } } => {
    const decision = d.router.route(stickyKey(ctx, state));
    if (decision.fellBack) d.metrics.variants.fallback(d.router.state!.variants[1]);
    const route: PredictRoute & { shared?: SharedInput } = { ...decision.primary, clientRequestId: state.clientRequestId };
    if (decision.mirror) route.share = (input) => (route.shared = input);
    return { decision, route };
  };
  const observe = <T>(route: PredictRoute, startedAt: number, p: Promise<T & { model_version?: number }>): Promise<T> => {
    if (!route.variant) return p;
    const variant = route.variant;
    const version = () => holder.current(route.slot)?.version ?? 0;
    return p.then(
      (r) => (d.metrics.variants.observe(variant, r.model_version ?? version(), 'primary', (performance.now() - startedAt) / 1000, true), r),
      (err: unknown) => {
        if (toHttpError(err).error.status >= 500) d.metrics.variants.observe(variant, version(), 'primary', (performance.now() - startedAt) / 1000, false);
        throw err;
      },
    );
  };

  router.post('/predict', async (ctx) => {
    const state = ctx.state as RequestState;
    const { decision, route } = decide(ctx, state);
    let bytes: Buffer | undefined;
    const result = await observe(route, state.startedAt, handle(ctx, (files, work) => {
      if (files.length > 1) throw new HttpError(400, 'TOO_MANY_FILES', `/predict takes one file; send ${files.length} files to /predict/batch`);
      bytes = files[0]!;
      return d.predictor.predict(files[0]!, state.requestId, state.startedAt, work, route);
    }));
    setModelHeaders(ctx, result.served_alias, result.model_version, route.variant);
    ctx.body = result;
    const mirror = decision.mirror;
    if (mirror && bytes) {
      // After the answer is on the wire: the shadow never adds latency to it.
      const job = { ...mirror, variant: mirror.variant!, requestId: state.requestId, clientRequestId: state.clientRequestId, bytes, shared: route.shared };
      ctx.res.once('finish', () => setImmediate(() => d.mirror.offer(job)));
    }
  });

  router.post('/predict/batch', async (ctx) => {
    const state = ctx.state as RequestState;
    // One decision for the whole batch (no mirror: a batch is bulk work, not a user's request).
    const { route: chosen } = decide(ctx, state);
    const route: PredictRoute = { slot: chosen.slot, alias: chosen.alias, variant: chosen.variant, clientRequestId: state.clientRequestId };
    // All files go at once: the batcher turns them into one or a few onnxruntime runs.
    const results: (PredictionResult | ErrorBody)[] = await handle(ctx, (files, work) =>
      Promise.all(
        files.map((bytes, i) =>
          observe(route, state.startedAt, d.predictor.predict(bytes, `${state.requestId}-${i}`, state.startedAt, work, route)).catch((err: unknown) => {
            const { error, internal } = toHttpError(err);
            if (internal) d.log.error(`/predict/batch file ${i}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            return error.toJSON();
          }),
        ),
      ),
    );
    const served = results.find((r): r is PredictionResult => 'model_version' in r);
    setModelHeaders(ctx, route.alias, served?.model_version ?? holder.current(route.slot)?.version, route.variant);
    ctx.body = { results };
  });

  router.post('/feedback', async (ctx) => {
    if (!d.feedback) throw new HttpError(501, 'NO_PREDICTION_LOG', 'this server keeps no prediction log, so feedback cannot be joined to predictions: serve through the pipeline (pipeline serve) with a store');
    await handleFeedback(ctx, d.feedback);
  });

  router.get('/rollout', async (ctx) => {
    if (!d.rolloutControl) throw new HttpError(404, 'NOT_FOUND', 'this server has no rollout store');
    const status = await d.rolloutControl.current(o.modelName);
    ctx.body = { model_name: o.modelName, rollout: status };
  });

  router.get('/models', (ctx) => {
    const roles = d.router.roles();
    const models = holder.aliases().map((alias) => {
      const m = holder.current(alias);
      const failure = holder.lastSwapError(alias) ?? null;
      const r = roles.get(alias);
      const role = { role: r?.role ?? 'primary', variant: r?.variant ?? null, traffic_share: r?.share ?? 0, mirror_share: r?.mirror ?? 0 };
      if (!m) return { alias, loaded: false, ...role, last_swap_error: failure };
      return {
        alias,
        loaded: true,
        ...role,
        model_name: m.name,
        model_version: m.version,
        sha256: m.sha256,
        // The file's name only: where the server keeps it is not the client's business.
        file: path.basename(m.file),
        input: m.inputName,
        output: m.outputName,
        labels_count: m.labels.length,
        preprocessing: { id: m.preprocessingId, spec: m.spec },
        loaded_at: m.loadedAt,
        in_flight: holder.leases(m),
        last_swap_error: failure,
      };
    });
    const rollout = d.router.state;
    const cpu = budgetReport(CPU_BUDGET, { intraOpNumThreads: o.intraOpNumThreads, idleIntraOpNumThreads: o.idleIntraOpNumThreads, inferenceRuns: o.inferenceRuns, maxBatch: o.maxBatch });
    ctx.body = { routed_alias: o.alias, cpu, rollout: rollout && { id: rollout.id, strategy: rollout.strategy, phase: rollout.phase, step: rollout.currentStep, weight: rollout.weight, mirror: rollout.mirror }, models };
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
