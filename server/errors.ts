/**
 * Every error the service answers with is `{ error: { status, code, message } }` JSON: never HTML, never a stack.
 * Bad input maps to 4xx here; only our own bugs become a 500 (and are logged).
 */
import type { Middleware } from 'koa';
import { PipelineError } from '../runner/errors.ts';
import type { ServerLogger } from './logger.ts';

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: { readonly status: number; readonly code: string; readonly message: string };
}

/** An error with the HTTP status and the stable machine-readable code the client sees. */
export class HttpError extends PipelineError {
  readonly status: number;
  /** Extra response headers (Retry-After, Connection: close). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, options?: ErrorOptions & { headers?: Record<string, string> }) {
    super(code, message, options);
    this.status = status;
    this.headers = options?.headers ?? {};
  }

  toJSON(): ErrorBody {
    return { error: { status: this.status, code: this.code, message: this.message } };
  }
}

/** Koa's own errors (router 404/405/501, ctx.throw) carry a status and `expose`. */
function fromKoaError(err: Error & { status?: number; statusCode?: number; expose?: boolean }): HttpError | undefined {
  const status = err.status ?? err.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 599) return undefined;
  const code = { 400: 'BAD_REQUEST', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 413: 'PAYLOAD_TOO_LARGE', 501: 'NOT_IMPLEMENTED' }[status] ?? `HTTP_${status}`;
  return new HttpError(status, code, err.expose === false ? 'request failed' : err.message, { cause: err });
}

/** Turns any thrown value into an HttpError; `internal` is true for our own bugs (500). */
export function toHttpError(err: unknown): { error: HttpError; internal: boolean } {
  if (err instanceof HttpError) return { error: err, internal: false };
  if (err instanceof Error) {
    const known = fromKoaError(err);
    if (known) return { error: known, internal: known.status >= 500 };
  }
  return { error: new HttpError(500, 'INTERNAL', 'internal server error', { cause: err }), internal: true };
}

/** Outermost middleware: JSON errors for everything, including 404s for unknown routes. */
export function errorMiddleware(log: ServerLogger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new HttpError(404, 'NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const { error, internal } = toHttpError(err);
      if (internal) log.error(`${ctx.method} ${ctx.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      ctx.status = error.status;
      ctx.set(error.headers);
      // Answered before the body was all in (a refusal): the connection closes after the answer, by lingering
      // (linger.ts), so the client reads this answer, not a reset, and nothing more is parsed from it.
      if (!ctx.req.complete) ctx.set('Connection', 'close');
      ctx.body = error.toJSON();
    }
  };
}
