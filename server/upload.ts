/**
 * Reading multipart uploads with bounded memory and bounded time, straight on busboy (the parser multer wraps;
 * multer added a layer of stream handling and field bookkeeping per request, and no way to count bytes held).
 *
 * Nothing is read from a body that will be refused: Content-Length over the limit is 413 and a full budget is 503
 * before the first byte. A chunked body is counted as it streams and cut off at the limit. A body that stops
 * arriving is dropped after `bodyIdleTimeoutMs` (408), or earlier when the budget needs its reservation. Every
 * parse failure is the client's (400/413), never a 500; refused requests close the connection by lingering
 * (linger.ts), never by a reset.
 */
import Busboy from 'busboy';
import type { Context } from 'koa';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';
import type { UploadBudget, UploadTicket } from './upload-budget.ts';

export interface UploadLimits {
  readonly maxBodyBytes: number;
  readonly maxFiles: number;
  readonly bodyIdleTimeoutMs: number;
}

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly buffer: Buffer;
}

/** The files of one request and its share of the upload budget (release it when the request is done). */
export interface Upload {
  readonly files: UploadedFile[];
  readonly ticket: UploadTicket;
}

/**
 * Refusals close the connection; errors.ts adds it to every answer sent before the body was all in, and the close
 * lingers (linger.ts: half-close, drop the rest, bounded) so a client still sending reads the answer, not a reset.
 */
const CLOSE = { Connection: 'close' };

function tooLarge(limits: UploadLimits, what: string, close = false): HttpError {
  const mb = (limits.maxBodyBytes / 1024 / 1024).toFixed(1);
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `${what} exceeds the limit of ${mb} MB`, close ? { headers: CLOSE } : {});
}

export function busy(budget: UploadBudget): HttpError {
  const mb = (budget.capacity / 1024 / 1024).toFixed(0);
  return new HttpError(503, 'UPLOADS_FULL', `the server holds ${mb} MB of uploads already; retry shortly`, { headers: { 'Retry-After': '1' } });
}

/**
 * After a refusal, the rest of the body keeps flowing and is dropped (nothing is kept), so that the client, still
 * sending, gets to read the answer instead of a reset. The answer says `Connection: close` (errors.ts), and the
 * connection then ends by lingering (linger.ts: half-close, drop what still comes, bounded in bytes and time).
 */
export function discardRest(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  req.resume();
}

/** Builds the reader once per app; `read(ctx)` parses one request's files. */
export function createUploadReader(limits: UploadLimits, budget: UploadBudget) {
  return async function read(ctx: Context): Promise<Upload> {
    const header = ctx.get('content-length');
    const declared = header === '' ? undefined : Number(header);
    if (declared !== undefined && !(declared >= 0)) throw new HttpError(400, 'BAD_CONTENT_LENGTH', `Content-Length '${header}' is not a number`, { headers: CLOSE });
    // Declared over the limit: it will not be read at all, so the connection closes (the answer comes first).
    if (declared !== undefined && declared > limits.maxBodyBytes) throw tooLarge(limits, `the request body (${declared} bytes)`, true);
    if (!ctx.is('multipart/form-data')) {
      throw new HttpError(400, 'MULTIPART_REQUIRED', `send the image as multipart/form-data in the field 'file' (got Content-Type '${ctx.get('content-type') || 'none'}')`);
    }
    let fail!: (err: HttpError) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});
    const ticket = budget.admit(declared, () =>
      // The server let go of it for memory (an overload condition, not the client's error): 503, retry later.
      fail(new HttpError(503, 'UPLOAD_STALLED', 'the upload stalled while other requests needed its memory; send it again shortly', { headers: { 'Retry-After': '1' } })),
    );
    if (!ticket) throw busy(budget);
    try {
      return { files: await parse(ctx, limits, ticket, failed, fail), ticket };
    } catch (err) {
      ticket.release();
      throw err;
    }
  };
}

async function parse(
  ctx: Context,
  limits: UploadLimits,
  ticket: UploadTicket,
  failed: Promise<never>,
  fail: (err: HttpError) => void,
): Promise<UploadedFile[]> {
  const req = ctx.req;
  let bb: Busboy.Busboy;
  try {
    bb = Busboy({
      headers: req.headers,
      // Unicode file names (RFC 7578 raw UTF-8 and RFC 5987 filename*=) decode as UTF-8.
      defParamCharset: 'utf8',
      limits: { fileSize: limits.maxBodyBytes, files: limits.maxFiles, fields: 32, parts: limits.maxFiles + 32, fieldSize: 64 * 1024, fieldNameSize: 200, headerPairs: 100 },
    });
  } catch (err) {
    throw new HttpError(400, 'MALFORMED_MULTIPART', `malformed multipart/form-data header: ${(err as Error).message}`, { cause: err });
  }
  const files: UploadedFile[] = [];
  const pending: Promise<void>[] = [];
  let seen = 0;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => fail(new HttpError(408, 'BODY_TIMEOUT', `no body bytes for ${limits.bodyIdleTimeoutMs} ms; the upload was dropped`, { headers: CLOSE })), limits.bodyIdleTimeoutMs);
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    armIdle();
    if (seen > limits.maxBodyBytes) fail(tooLarge(limits, 'the request body', true));
    else if (!ticket.received(chunk.length)) fail(new HttpError(503, 'UPLOADS_FULL', 'the upload budget is full; retry shortly', { headers: { 'Retry-After': '1' } }));
  };
  const onAborted = () => fail(new HttpError(400, 'CLIENT_ABORTED', 'the client closed the connection before the body was complete', { headers: CLOSE }));

  bb.on('file', (field, stream, info) => {
    // Chunks as they come (memory follows the bytes actually received, as the budget counts them), one copy at the end.
    const chunks: Buffer[] = [];
    let size = 0;
    pending.push(
      new Promise<void>((resolve) => {
        stream.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
        });
        stream.on('limit', () => fail(tooLarge(limits, 'the upload', true)));
        stream.on('error', () => {});
        stream.on('end', () => {
          files.push({ field, filename: info.filename ?? '', buffer: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
          resolve();
        });
      }),
    );
  });
  bb.on('filesLimit', () => fail(new HttpError(413, 'TOO_MANY_FILES', `at most ${limits.maxFiles} files per request`)));
  bb.on('partsLimit', () => fail(new HttpError(413, 'TOO_MANY_PARTS', 'too many parts in the multipart body')));
  bb.on('fieldsLimit', () => fail(new HttpError(413, 'TOO_MANY_PARTS', 'too many fields in the multipart body')));
  bb.on('error', (err: Error) => fail(new HttpError(400, 'MALFORMED_MULTIPART', `malformed multipart/form-data body: ${err.message}`, { cause: err })));
  const finished = new Promise<void>((resolve) => bb.on('close', resolve));

  armIdle();
  req.on('data', onData);
  req.on('aborted', onAborted);
  req.pipe(bb);
  try {
    await Promise.race([finished, failed]);
    await Promise.race([Promise.all(pending), failed]);
    ticket.complete();
    return files;
  } catch (err) {
    req.unpipe(bb);
    bb.destroy();
    throw err;
  } finally {
    clearTimeout(idle);
    req.off('data', onData);
    req.off('aborted', onAborted);
  }
}
