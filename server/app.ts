/**
 * `createApp(deps)` builds the inference service as a Koa app without listening (tests drive it in-process; only
 * the CLI listens, through `startServer`). It owns the model slots, their hot-swap watchers, the metrics registry
 * and the prediction log's lifetime.
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import { resolveServeOptions, type ResolvedServeOptions, type ServeOptions } from './config.ts';
import { errorMiddleware, HttpError } from './errors.ts';
import { consoleLogger, type ServerLogger } from './logger.ts';
import { ModelHolder } from './model-holder.ts';
import { loadModel } from './model-loader.ts';
import type { ModelSource } from './model-source.ts';
import { ModelWatcher } from './model-watcher.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import { nullSink, teeSink, type PredictionSink } from './prediction-sink.ts';
import { Predictor } from './predictor.ts';
import type { ProjectionLookup } from './prediction-record.ts';
import type { Capture } from './capture.ts';
import type { MonitorLoop } from './monitor-loop.ts';
import { createRouter, type RequestState } from './routes.ts';
import type { MonitoringView, RolloutControl } from './control-ports.ts';
import { mountDashboard, type DashboardOptions } from './dashboard/index.ts';
import type { PredictionLog } from '../stores/prediction-log.ts';
import { TensorPool, tensorPoolSlots } from './tensor-pool.ts';
import { createUploadReader } from './upload.ts';
import { UploadBudget } from './upload-budget.ts';
import { ModelCache } from './model-cache.ts';
import type { FeedbackPort, ServerRollouts } from './rollout-port.ts';
import { RolloutSync } from './rollout-sync.ts';
import { ShadowMirror } from './shadow-mirror.ts';
import { VariantRouter } from './variant-router.ts';

/** What `createApp` needs: the options plus the injected ports. */
export interface AppDeps extends ServeOptions {
  /** Where models come from (the registry, adapted; or `staticModelSource`). */
  readonly source: ModelSource;
  /** Where every prediction is logged. The app closes it on `close()`. Default: dropped. */
  readonly predictionLog?: PredictionSink;
  /** Default: timestamped lines on stderr. The runner's `ctx.log` fits. */
  readonly logger?: ServerLogger;
  /** Process metrics (CPU, RSS, event loop lag) in `/metrics`. Default true. */
  readonly defaultMetrics?: boolean;
  /** The dashboard (`/dashboard`, `/events`): on by default, read-only without `adminToken`. */
  readonly dashboard?: DashboardOptions;
  /** The read side of the prediction log, for the dashboard's class, confidence and history panels. */
  readonly predictionStore?: Pick<PredictionLog, 'recent' | 'buckets'>;
  /** The dashboard's rollout panel and actions; default: the control of `rollouts`. */
  readonly rolloutControl?: RolloutControl;
  /** Drift detectors and alerts, when monitoring runs (dashboard panels, alert acknowledgement). */
  readonly monitoringView?: MonitoringView;
  /**
   * Monitoring on: full statistics in every prediction record, and the projection of each version's penultimate
   * features (from its reference profile) when `projection` is given. Absent: basic records (monitoring off).
   */
  readonly monitoring?: { readonly projection?: ProjectionLookup; readonly capture?: Capture };
  /** Monitoring: starts the periodic monitor (drift gauges in `/metrics`); stopped on `close()`. */
  readonly startMonitor?: (metrics: ServerMetrics) => MonitorLoop;
  /** Rollout state (read every `rolloutPollMs`) and the controller; without it the server serves its alias only. */
  readonly rollouts?: ServerRollouts;
  /** How often the rollout state is read (and the controller ticks). Default `pollMs`. */
  readonly rolloutPollMs?: number;
  /** Where `POST /feedback` records true labels (the prediction log); without it, 501. */
  readonly feedback?: FeedbackPort;
}

export interface ServeApp {
  readonly app: Koa;
  readonly options: ResolvedServeOptions;
  readonly holder: ModelHolder;
  readonly metrics: ServerMetrics;
  /** The process-wide upload byte budget (what it holds now, evictions so far). */
  readonly uploads: UploadBudget;
  /** Settles after the first load attempt (whether or not it succeeded: see `isReady`). */
  readonly loaded: Promise<void>;
  isReady(): boolean;
  /** Polls the model source now instead of waiting for the next tick (tests, admin hooks). */
  checkModels(): Promise<void>;
  /** Which variant answers which request (the rollout read from the store). */
  readonly router: VariantRouter;
  /** Reads the rollout state (and ticks the controller) now: tests, admin hooks. */
  syncRollout(): Promise<void>;
  /** Mirrors to the shadow variant (idle(), shedCount). */
  readonly mirror: ShadowMirror;
  /** Models loaded, shared by slots on the same version. */
  readonly cache: ModelCache;
  /**
   * First step of a graceful shutdown: `/ready` turns 503 (load balancers stop choosing this replica) while every
   * request is still answered, each with `Connection: close` so keep-alive clients reconnect elsewhere.
   */
  beginNotReady(): void;
  /** Stop taking new work: new requests get 503 (nothing done: safe to resend elsewhere) and `/ready` turns 503. */
  beginDrain(): void;
  /** performance.now() of the newest request that is not a probe (0: none yet): a drain waits for quiet. */
  lastRequestAt(): number;
  /** Requests being handled now (uploading or processing). */
  inFlight(): number;
  /** Requests being processed now (body received), the count `maxInFlight` bounds. */
  processing(): number;
  /** The monitor loop, when monitoring is on. */
  readonly monitor?: MonitorLoop;
  /** Drains (waits for in-flight requests, up to drainTimeoutMs), stops polling, releases models, closes the log. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Routes that keep answering while draining, and that never count as work. */
const PROBES = new Set(['/health', '/ready', '/metrics']);

export function createApp(deps: AppDeps): ServeApp {
  const options = resolveServeOptions(deps);
  const log = deps.logger ?? consoleLogger();
  const sink = teeSink(deps.predictionLog ?? nullSink());
  let inFlight = 0;
  let processing = 0;
  let draining = false;
  let notReady = false;
  let lastRequestAt = 0;
  let idleWaiters: (() => void)[] = [];

  const metrics = createMetrics({
    queueLength: () => sink.pending ?? 0,
    inFlight: () => inFlight,
    droppedRows: () => sink.dropped ?? 0,
    uploadBytes: () => uploads.used,
    defaultMetrics: deps.defaultMetrics,
  });
  // Loaded once per (name, version, sha256): slots on one version share the worker, sessions and batcher.
  const cache = new ModelCache((m) =>
    loadModel(m, {
      intraOpNumThreads: options.intraOpNumThreads,
      // Thread budget: only the served alias's model gets the spinning low-latency session; a rollout's
      // candidate runs on one thread, so two or three models never oversubscribe the cores.
      idleIntraOpNumThreads: m.alias === options.alias ? options.idleIntraOpNumThreads : options.intraOpNumThreads,
      inferenceThread: options.inferenceThread,
      // The same budget: a rollout's candidate gets one worker.
      inferenceRuns: m.alias === options.alias ? options.inferenceRuns : 1,
      maxBatch: options.maxBatch,
      maxWaitMs: options.maxWaitMs,
      inferenceTimeoutMs: options.inferenceTimeoutMs,
      onWorkerEvent: (message) => log.warn(`${m.alias ?? `v${m.version}`}: ${message}`),
      onRun: (n, s) => metrics.observeInference(n, s),
      tensorPool: poolFor,
    }),
  );
  const holder = new ModelHolder((err) => log.error(`releasing a model: ${String(err)}`), (m) => cache.release(m));
  const limits = { maxPixels: options.maxPixels, maxFullDecodePixels: options.maxFullDecodePixels };
  const predictor = new Predictor({ holder, alias: options.alias, topK: options.topK, limits, metrics, sink, log, monitoring: deps.monitoring });
  const monitor = deps.startMonitor?.(metrics);
  const uploads = new UploadBudget({
    budgetBytes: options.uploadBudgetBytes,
    minReservationBytes: options.minUploadReservationBytes,
    stallMs: options.uploadStallMs,
    minBytesPerSec: options.minUploadBytesPerSec,
  });
  const readUploads = createUploadReader({ maxBodyBytes: options.maxBodyBytes, maxFiles: options.maxBatchFiles, bodyIdleTimeoutMs: options.bodyIdleTimeoutMs }, uploads);
  const admitWork = () => {
    if (processing >= options.maxInFlight) {
      throw new HttpError(503, 'OVERLOADED', `${options.maxInFlight} requests are being processed; retry shortly`, { headers: { 'Retry-After': '1' } });
    }
    processing++;
    let done = false;
    return () => {
      if (!done) (done = true), processing--;
    };
  };

  // One pool of input tensors per input size for the app's lifetime, shared by every version it loads.
  const pools = new Map<number, TensorPool>();
  const poolFor = (itemSize: number) => {
    let pool = pools.get(itemSize);
    if (!pool) pools.set(itemSize, (pool = new TensorPool(itemSize, tensorPoolSlots(options.maxBatch, options.inferenceRuns))));
    return pool;
  };
  // One watcher per slot: the routed alias, plus a rollout's candidate (pinned to its version) while one runs.
  const watch = (ref: string) =>
    new ModelWatcher({
      source: deps.source,
      holder,
      name: options.modelName,
      ref,
      pollMs: options.pollMs,
      log,
      load: (m) => cache.acquire(m),
      onInstalled: (model, previous) => metrics.modelInstalled(ref, model, previous),
      onFailed: () => metrics.swapFailed(ref),
    });
  const watchers = [watch(options.alias)];
  const router = new VariantRouter({
    holder,
    alias: options.alias,
    watch,
    onChange: (next, previous) => {
      if (next && (!previous || previous.id !== next.id)) log.info(`rollout ${next.id.slice(0, 8)}: ${next.strategy} of v${next.candidateVersion} against v${next.stableVersion}`);
      if (next) log.info(`rollout: step ${next.currentStep + 1}, candidate weight ${next.weight}%, mirror ${next.mirror}% (${next.phase})`);
      else if (previous) log.info(`rollout ${previous.id.slice(0, 8)} ended: serving ${options.alias} only`);
    },
  });
  const sync = deps.rollouts
    ? new RolloutSync({ rollouts: deps.rollouts, modelName: options.modelName, router, metrics, log, pollMs: deps.rolloutPollMs ?? options.pollMs })
    : undefined;
  const mirror = new ShadowMirror({
    holder,
    topK: options.topK,
    sink,
    metrics,
    log,
    // Under load the shadow gives way: more than a batch of primary requests in flight sheds the mirror.
    busy: () => processing >= options.maxBatch || draining,
    timeoutMs: options.deadlineMs,
    projection: deps.monitoring?.projection,
  });

  const app = new Koa();
  app.silent = true; // errors are answered as JSON and logged by errorMiddleware, not printed by Koa
  app.use(async (ctx, next) => {
    const startedAt = performance.now();
    const incoming = ctx.get('x-request-id');
    const state = ctx.state as RequestState;
    // The server's id is always its own (the prediction log's unique key, what feedback names); a client's id is
    // kept beside it, since clients repeat theirs (retries, load balancers re-sending).
    state.requestId = randomUUID();
    state.clientRequestId = REQUEST_ID.test(incoming) ? incoming : null;
    state.startedAt = startedAt;
    ctx.set('X-Request-Id', state.requestId);
    const counted = !PROBES.has(ctx.path);
    if (counted) (inFlight++, (lastRequestAt = startedAt));
    // Shutting down: the answer closes its connection, so a keep-alive client opens its next one elsewhere.
    if (notReady || draining) ctx.set('Connection', 'close');
    try {
      await next();
    } finally {
      if (counted && --inFlight === 0) for (const w of idleWaiters.splice(0)) w();
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      metrics.observeRequest(typeof route === 'string' ? route : 'unmatched', ctx.method, ctx.status, (performance.now() - startedAt) / 1000);
    }
  });
  app.use(errorMiddleware(log));
  app.use(async (ctx, next) => {
    if (PROBES.has(ctx.path)) return next();
    if (draining) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down; retry on another instance', { headers: { Connection: 'close' } });
    // Uploads still arriving are bounded by the byte budget (upload.ts), processing by maxInFlight (admitWork).
    return next();
  });
  const dashboard = mountDashboard(app, { options: deps.dashboard, modelName: options.modelName, routedAlias: options.alias, holder, registry: metrics.registry, queueDepth: () => processing, logQueue: () => sink.pending ?? 0, predictions: deps.predictionStore, rollouts: deps.rolloutControl ?? deps.rollouts?.control, monitoring: deps.monitoringView, onError: (m) => log.warn(m) });
  sink.tap = (row) => dashboard.observe(row);
  const feedback = deps.feedback && { feedback: deps.feedback, holder, flush: sink.flush?.bind(sink) };
  const routes = createRouter({
    options, holder, predictor, metrics, readUploads, admitWork, isDraining: () => draining || notReady, log, router, mirror, feedback, rolloutControl: deps.rollouts?.control,
  });
  app.use(routes.routes());
  app.use(routes.allowedMethods({ throw: true }));

  const loaded = Promise.all([...watchers.map((w) => w.start()), sync?.start()]).then(() => router.check());

  const waitIdle = (timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (inFlight === 0) return resolve(true);
      const timer = setTimeout(() => {
        clearInterval(sweep);
        idleWaiters = idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      // Uploads that stopped sending would hold the drain until their own timeout: drop them (408).
      uploads.evictStalled();
      const sweep = setInterval(() => uploads.evictStalled(), 100);
      const done = () => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve(true);
      };
      idleWaiters.push(done);
    });

  let closing: Promise<void> | undefined;
  return {
    app,
    options,
    holder,
    metrics,
    uploads,
    loaded,
    monitor,
    isReady: () => !draining && !notReady && router.primarySlots().every((slot) => holder.current(slot)?.healthy() === true),
    checkModels: () => Promise.all([...watchers.map((w) => w.check()), router.check()]).then(() => undefined),
    router,
    syncRollout: async () => {
      await sync?.sync();
      await router.check();
    },
    mirror,
    cache,
    beginNotReady: () => {
      notReady = true;
    },
    beginDrain: () => {
      draining = true;
      dashboard.close();
    },
    lastRequestAt: () => lastRequestAt,
    inFlight: () => inFlight,
    processing: () => processing,
    close: () =>
      (closing ??= (async () => {
        draining = true;
        dashboard.close();
        if (!(await waitIdle(options.drainTimeoutMs))) log.warn(`shutdown: ${inFlight} requests still in flight after ${options.drainTimeoutMs} ms`);
        await sync?.stop();
        await mirror.idle();
        await monitor?.stop();
        await Promise.all([...watchers.map((w) => w.stop()), router.stop()]);
        await holder.close();
        await sink.close();
      })()),
  };
}
