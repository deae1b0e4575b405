/**
 * Listening, for the CLI (`pipeline serve`) and the pipeline's `serve` stage: builds the app, listens, and on
 * SIGTERM/SIGINT shuts down gracefully: stop taking work (503), let in-flight requests finish, flush the
 * prediction log, exit 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps, type ServeApp } from './app.ts';
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
}

export interface RunningServer {
  readonly url: string;
  readonly server: http.Server;
  readonly serve: ServeApp;
  /** Graceful shutdown (idempotent). */
  close(): Promise<void>;
  /** Settles once the server has shut down, by `close()` or a signal. */
  readonly closed: Promise<void>;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const log = opts.logger ?? consoleLogger();
  const serve = createApp({ ...opts, logger: log });
  const server = http.createServer(serve.app.callback());
  // Slow or stalled clients must not hold sockets (and upload buffers) forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      serve.beginDrain();
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await serve.close();
      server.closeAllConnections();
      await stopped;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolveClosed();
    })());

  function onSignal(signal: NodeJS.Signals) {
    log.info(`${signal}: draining ${serve.inFlight()} in-flight requests, then exiting`);
    close().then(
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
  return { url, server, serve, close, closed };
}
