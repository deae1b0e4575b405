/**
 * Listening, for the CLI (`pipeline serve`) and the pipeline's `serve` stage: builds the app, listens, and on
 * SIGTERM/SIGINT shuts down without failing a request (`shutdown()`):
 * 1. for `drainDelayMs`, `/ready` says 503 and every request is still answered, with `Connection: close`
 *    (Kubernetes endpoints and load balancers stop sending here meanwhile);
 * 2. new requests get 503 SHUTTING_DOWN + Connection: close (nothing was done, so nginx resends them to another
 *    replica, platform/lb), still listening, until nothing is in flight and no request arrived for QUIET_MS
 *    (bounded by `drainTimeoutMs`);
 * 3. only then the listening socket closes: closing it earlier resets connections still in its accept queue,
 *    requests a balancer has already sent (a POST so reset is not resent: it fails);
 * 4. the prediction log is flushed, and the process exits 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps, type ServeApp } from './app.ts';
import { CPU_BUDGET, resolveServeOptions } from './config.ts';
import { derivedThreads, uvThreadpoolSize } from './cpu-budget.ts';
import { installLingeringClose } from './linger.ts';
import { consoleLogger } from './logger.ts';

export interface StartOptions extends AppDeps {
  /** 0 picks a free port (see the returned `url`). */
  readonly port: number;
  /** Default 127.0.0.1; 0.0.0.0 to listen on every interface (containers). */
  readonly host?: string;
  /** Install SIGTERM/SIGINT handlers. Default true. */
  readonly handleSignals?: boolean;
  /** After a signal-triggered shutdown, `process.exit(0)`. Default true; false lets the caller decide. */
  readonly exitOnSignal?: boolean;
  /** Wait for the first model before resolving (else `/ready` says when). Default false. */
  readonly waitForModel?: boolean;
  /**
   * Called once, when the server listens *and* its first model is loaded (now or later): the moment to say
   * "serving". Never called when listening failed.
   */
  readonly onServing?: (info: { url: string; modelName: string; alias: string; version: number }) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  readonly serve: ServeApp;
  /** Graceful shutdown (idempotent), at once: steps 2-4 above, without waiting for quiet. */
  close(): Promise<void>;
  /** The whole graceful shutdown, steps 1-4 above (what a signal does). Idempotent. */
  shutdown(): Promise<void>;
  /** Settles once the server has shut down, by `close()` or a signal. */
  readonly closed: Promise<void>;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const log = opts.logger ?? consoleLogger();
  const options = resolveServeOptions(opts);
  const server = http.createServer({
    // Slow or stalled clients must not hold sockets (and upload buffers) forever: the header, then the whole
    // request, must arrive in time (the body's idle time is bounded in upload.ts). 16 KB of headers at most (431).
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    maxHeaderSize: 16 * 1024,
    // Node checks both timeouts on this tick (default 30 s, far coarser than the timeouts themselves).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, options.headersTimeoutMs / 4)),
  });
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
  server.maxHeadersCount = 100;
  // Answers sent before the body was all in end by half-closing and dropping the rest (bounded), never a reset.
  installLingeringClose(server, { maxMs: options.requestTimeoutMs, idleMs: options.bodyIdleTimeoutMs, maxBytes: 4 * options.maxBodyBytes, silentMs: options.requestTimeoutMs });

  // Listen before building the app: a port in use fails here, before any model is loaded or anything logged.
  const host0 = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? `: port ${opts.port} on ${host0} is in use (another server?); pick another with --port or stop it` : '';
      reject(new Error(`serve: cannot listen on ${host0}:${opts.port}${hint} (${err.code ?? err.message})`, { cause: err }));
    });
    server.listen(opts.port, host0, () => resolve());
  });
  const serve = createApp({ ...opts, logger: log });
  const cpu = CPU_BUDGET;
  const uv = uvThreadpoolSize();
  log.info(`cpu: ${cpu.cpus} given (${cpu.source}; affinity ${cpu.affinity}${cpu.quota !== undefined ? `, quota ${cpu.quota.toFixed(2)}` : ''}): intra-op ${options.intraOpNumThreads}, lone-request intra-op ${options.idleIntraOpNumThreads}, inference workers ${options.inferenceRuns}, maxBatch ${options.maxBatch}, UV_THREADPOOL_SIZE ${uv}`);
  const wantUv = derivedThreads(cpu).uvThreadpool;
  if (uv < wantUv && process.env.UV_THREADPOOL_SIZE === undefined) log.info(`cpu: libuv's pool (${uv}) is below the ${wantUv} these CPUs call for; start with UV_THREADPOOL_SIZE=${wantUv} (the images' entry point does)`);
  server.on('request', serve.app.callback());
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  if (opts.onServing) {
    const onServing = opts.onServing;
    void serve.loaded.then(async () => {
      // The first model may arrive later (nothing registered yet): tell once, when it does.
      while (!serve.holder.current(options.alias)) {
        if (closing) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      const m = serve.holder.current(options.alias)!;
      if (!closing) onServing({ url, modelName: m.name, alias: options.alias, version: m.version });
    });
  }

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  let shuttingDown: Promise<void> | undefined;
  const close = (quietMs = 0) =>
    (closing ??= (async () => {
      serve.beginDrain();
      if (quietMs > 0) await quiet(serve, quietMs, options.drainTimeoutMs);
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await serve.close();
      server.closeAllConnections();
      await stopped;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolveClosed();
    })());

  const shutdown = () =>
    (shuttingDown ??= (async () => {
      serve.beginNotReady();
      if (!closing) await new Promise((r) => setTimeout(r, options.drainDelayMs));
      await close(QUIET_MS);
    })());

  function onSignal(signal: NodeJS.Signals) {
    log.info(`${signal}: not ready; answering for ${options.drainDelayMs} ms more, then draining ${serve.inFlight()} in-flight requests and exiting`);
    shutdown().then(
      () => {
        if (opts.exitOnSignal !== false) process.exit(0);
      },
      (err: unknown) => {
        log.error(`shutdown failed: ${String(err)}`);
        if (opts.exitOnSignal !== false) process.exit(1);
      },
    );
  }
  if (opts.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  if (opts.waitForModel) await serve.loaded;
  return { url, server, serve, close: () => close(), shutdown, closed };
}

/**
 * No request for this long, nothing in flight: the balancers have stopped sending (Kubernetes endpoints, or
 * platform/lb/follow-ready.sh, dropped this replica when /ready turned 503), so the listening socket can close
 * with an empty accept queue.
 */
const QUIET_MS = 500;

/** Resolves once nothing is in flight and no request arrived for `quietMs`, or after `timeoutMs` at most. */
async function quiet(serve: ServeApp, quietMs: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const since = performance.now() - serve.lastRequestAt();
    if (serve.inFlight() === 0 && since >= quietMs) return;
    await new Promise((r) => setTimeout(r, Math.max(20, Math.min(quietMs - since, 100))));
  }
}
