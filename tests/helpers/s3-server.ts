/**
 * A local S3-compatible server for tests: @20minutes/s3rver (the maintained fork of s3rver: S3's REST API over a
 * directory, multipart uploads included) in a child process on an ephemeral loopback port. A test that needs it
 * fails when it cannot start; nothing here skips.
 *
 * Its own process because s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only has in its
 * legacy provider (`--openssl-legacy-provider`, a process-wide flag the test process should not carry).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const S3_TEST_KEY = { id: 'S3RVER', secret: 'S3RVER' } as const;

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
}

export interface TestS3Server {
  readonly endpoint: string;
  /** Environment for the artifact stores (and child processes) to reach this server. */
  readonly env: Record<string, string>;
  /** The requests the server has answered so far. */
  requests(): Promise<SeenRequest[]>;
  close(): Promise<void>;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3-server-child.ts');

export async function startS3Server(opts: { buckets: readonly string[] }): Promise<TestS3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', CHILD, dir, opts.buckets.join(',')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no port announced within 30 s')), 30_000);
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { port: number }).port);
        } catch {
          reject(new Error(`unexpected first line: ${line}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`it exited with code ${code}`));
      });
    });
  } catch (err) {
    await cleanup();
    throw new Error(`the test S3 server (@20minutes/s3rver) did not start: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: S3_TEST_KEY.id,
      AWS_SECRET_ACCESS_KEY: S3_TEST_KEY.secret,
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
    },
    async requests() {
      const res = await fetch(`${endpoint}/__test/requests`);
      return (await res.json()) as SeenRequest[];
    },
    close: cleanup,
  };
}
