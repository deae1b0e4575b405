/**
 * Reading multipart uploads with bounded memory. A declared Content-Length over the limit is refused before one
 * byte is read; a streamed (chunked) body is counted as it arrives and cut off at the limit; multer's per-file
 * `fileSize` is the last guard. Every parse failure is the client's (400/413), never a 500.
 */
import multer from '@koa/multer';
import type { Context } from 'koa';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { HttpError } from './errors.ts';

export interface UploadLimits {
  readonly maxBodyBytes: number;
  readonly maxFiles: number;
}

export interface UploadedFile {
  readonly field: string;
  readonly filename: string;
  readonly buffer: Buffer;
}

function tooLarge(limits: UploadLimits, what: string): HttpError {
  const mb = (limits.maxBodyBytes / 1024 / 1024).toFixed(1);
  // Close the connection: the rest of the body is not worth reading.
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `${what} exceeds the limit of ${mb} MB`, { headers: { Connection: 'close' } });
}

const MULTER_STATUS: Record<string, [number, string]> = {
  LIMIT_FILE_SIZE: [413, 'PAYLOAD_TOO_LARGE'],
  LIMIT_FILE_COUNT: [413, 'TOO_MANY_FILES'],
  LIMIT_PART_COUNT: [413, 'TOO_MANY_PARTS'],
  LIMIT_FIELD_COUNT: [413, 'TOO_MANY_PARTS'],
};

function fromMulter(err: unknown, limits: UploadLimits): HttpError {
  if (err instanceof HttpError) return err;
  const e: Error & { code?: string } = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'MulterError' && e.code === 'LIMIT_FILE_SIZE') return tooLarge(limits, 'the upload');
  if (e.name === 'MulterError' && e.code && MULTER_STATUS[e.code]) {
    const [status, code] = MULTER_STATUS[e.code]!;
    return new HttpError(status, code, `${e.message} (at most ${limits.maxFiles} files per request)`, { cause: err });
  }
  // The rest are busboy parse errors ('Unexpected end of form', 'Malformed part header', ...) and multer field errors.
  return new HttpError(400, 'MALFORMED_MULTIPART', `malformed multipart/form-data body: ${e.message}`, { cause: err });
}

/** Builds the reader once per app; `read(ctx)` parses one request's files. */
export function createUploadReader(limits: UploadLimits) {
  // Per request: how the stream counter reports an overflow to the request's handler.
  const overflowOf = new WeakMap<IncomingMessage, (err: HttpError) => void>();
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: limits.maxBodyBytes,
      files: limits.maxFiles,
      fields: 32,
      parts: limits.maxFiles + 32,
      fieldSize: 64 * 1024,
      fieldNameSize: 200,
      headerPairs: 100,
    },
    // Count the body as it streams: a chunked upload has no Content-Length to check up front.
    streamHandler(req: IncomingMessage, busboy: Writable) {
      let seen = 0;
      const onData = (chunk: Buffer) => {
        seen += chunk.length;
        if (seen <= limits.maxBodyBytes) return;
        req.off('data', onData);
        req.unpipe(busboy);
        const err = tooLarge(limits, 'the request body');
        busboy.destroy(err);
        overflowOf.get(req)?.(err);
      };
      req.on('data', onData);
      req.pipe(busboy);
    },
  } as multer.Options).any();

  return async function read(ctx: Context): Promise<UploadedFile[]> {
    const declared = Number(ctx.get('content-length'));
    if (declared > limits.maxBodyBytes) throw tooLarge(limits, `the request body (${declared} bytes)`);
    if (!ctx.is('multipart/form-data')) {
      throw new HttpError(400, 'MULTIPART_REQUIRED', `send the image as multipart/form-data in the field 'file' (got Content-Type '${ctx.get('content-type') || 'none'}')`);
    }
    // Answer 413 the moment the limit is crossed instead of waiting for multer to drain the rest of the body.
    const cutOff = new Promise<never>((_, reject) => overflowOf.set(ctx.req, reject));
    const parsed = upload(ctx as Parameters<typeof upload>[0], async () => {});
    parsed.catch(() => {}); // a late rejection after the cut-off is already answered
    try {
      await Promise.race([parsed, cutOff]);
    } catch (err) {
      throw fromMulter(err, limits);
    }
    const files = Array.isArray(ctx.files) ? ctx.files : [];
    return files.map((f) => ({ field: f.fieldname, filename: f.originalname, buffer: f.buffer }));
  };
}
