/**
 * `GET /events`: server-sent events. At most `maxClients` streams at once (more get 503 + Retry-After: the page
 * retries later by itself); each gets one `snapshot` event a tick and a comment line every `heartbeatMs`; a stream
 * is forgotten as soon as its socket closes. The snapshot is serialised once a tick for every client, and the
 * tick only runs while someone is connected.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { HttpError } from '../errors.ts';

export interface SseHubOptions {
  readonly maxClients: number;
  readonly heartbeatMs: number;
  readonly tickMs: number;
  /** The data of one tick (already JSON), or undefined to skip it. */
  readonly tick: () => Promise<string | undefined>;
  readonly onError: (message: string) => void;
}

export class SseHub {
  readonly #o: SseHubOptions;
  readonly #clients = new Set<ServerResponse>();
  #ticker: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #busy = false;
  #closed = false;

  constructor(o: SseHubOptions) {
    this.#o = o;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Takes over the response of a Koa request as an event stream. */
  open(ctx: Context): void {
    if (this.#closed) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down; retry on another instance');
    if (this.#clients.size >= this.#o.maxClients) {
      throw new HttpError(503, 'TOO_MANY_WATCHERS', `${this.#o.maxClients} dashboards are open already (serve.with.dashboard.max_clients); retry later`, { headers: { 'Retry-After': '10' } });
    }
    ctx.status = 200; // what the request metrics record
    ctx.respond = false;
    const res = ctx.res;
    ctx.req.socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    const forget = () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stopTimers();
    };
    res.once('close', forget);
    res.once('error', forget);
    this.#startTimers();
    void this.#send(); // the first snapshot now, not in a second
  }

  /** Ends every stream and refuses new ones (shutdown). */
  close(): void {
    this.#closed = true;
    this.#stopTimers();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #startTimers(): void {
    if (this.#ticker) return;
    this.#ticker = setInterval(() => void this.#send(), this.#o.tickMs);
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), this.#o.heartbeatMs);
  }

  #stopTimers(): void {
    clearInterval(this.#ticker);
    clearInterval(this.#heartbeat);
    this.#ticker = this.#heartbeat = undefined;
  }

  #write(chunk: string): void {
    for (const res of this.#clients) {
      // A client that stopped reading: drop it rather than buffer snapshots for it without bound.
      if (res.writableLength > 1024 * 1024) res.destroy();
      else res.write(chunk);
    }
  }

  async #send(): Promise<void> {
    if (this.#busy || this.#clients.size === 0) return;
    this.#busy = true;
    try {
      const data = await this.#o.tick();
      if (data !== undefined) this.#write(`event: snapshot\ndata: ${data}\n\n`);
    } catch (err) {
      this.#o.onError(`dashboard: building a snapshot: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.#busy = false;
    }
  }

  /** Sends a snapshot now (after an action), outside the tick. */
  push(): Promise<void> {
    return this.#send();
  }
}
