/**
 * The test S3 server's own process (see s3-server.ts): @20minutes/s3rver on an ephemeral loopback port over the
 * directory in argv[2], with the buckets in argv[3] (comma-separated). Prints `{"port":N}` once listening; exits
 * when its stdin closes (the test process ended, however it ended). `GET /__test/requests` answers the requests
 * seen so far (method, path, query keys), so tests can tell a multipart upload from a single PUT.
 */
import { createRequire } from 'node:module';

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  middleware: Middleware[];
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const [dir, buckets = ''] = process.argv.slice(2);
// A CommonJS package without type declarations: required, and typed by the interface above.
const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  // s3rver canonicalises bucket-level requests as `/bucket`, SDK v3 signs `/bucket/` (ListObjectsV2): every list
  // would be refused. Access key ids are still checked (unknown ones get InvalidAccessKeyId).
  allowMismatchedSignatures: true,
  configureBuckets: buckets.split(',').filter(Boolean).map((name) => ({ name })),
});
const seen: { method: string; path: string; query: string[] }[] = [];
server.middleware.unshift(async (ctx, next) => {
  if (ctx.path === '/__test/requests') {
    ctx.status = 200;
    ctx.body = seen;
    return;
  }
  seen.push({ method: ctx.method, path: ctx.path, query: Object.keys(ctx.query).sort() });
  await next();
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void server.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
