/**
 * A registry with tiny models (each answers one known class, so a test knows which variant answered and can make
 * a good or a bad challenger), a real store, and a server on it with the rollout controller, driven by hand
 * (`syncRollout()` is one poll + one controller tick) so no test depends on timing.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { serverRollouts } from '../../rollouts/server-adapter.ts';
import { rolloutRuntime, startRollout, type Notifier } from '../../rollouts/index.ts';
import type { RolloutSpecInput } from '../../steps/serve/rollout-schema.ts';
import { registrySource } from '../../steps/serve/registry-source.ts';
import { createBatchedWriter, type BatchedWriter } from '../../stores/batched-writer.ts';
import type { Stores } from '../../stores/index.ts';
import type { AppDeps } from '../../server/app.ts';
import { drainBeforeClosing, postFiles, startTestApp, tinyVersion, type Cleanup, type TestServer } from '../server/fixtures.ts';
import { tempDir } from '../helpers/tmp.ts';
import { openTestStores } from '../helpers/store-backends.ts';

export const LABELS = ['a', 'b', 'c'];

/** Registers tiny versions: v<i+1> answers `answers[i]` with test.accuracy `accuracies[i]`. */
export async function registerTiny(t: Cleanup & { name: string }, stores: Stores, answers: readonly string[], accuracies: readonly number[]): Promise<void> {
  const dir = tempDir(t as never);
  for (let i = 0; i < answers.length; i++) {
    const v = tinyVersion(path.join(dir, `src${i + 1}`), i + 1, LABELS, LABELS.indexOf(answers[i]!));
    await stores.registry.register({ name: 'food101', sourceDir: v.dir, metrics: { 'test.accuracy': accuracies[i]! } });
  }
}

export async function world(t: Cleanup & { name: string }, url: string, answers: readonly string[], accuracies: readonly number[]) {
  const stores = await openTestStores(t, url);
  await registerTiny(t, stores, answers, accuracies);
  return stores;
}

export interface RolloutServer extends TestServer {
  readonly log: BatchedWriter;
  readonly runtime: ReturnType<typeof serverRollouts>['runtime'];
  /** One poll of the rollout state and one controller tick, then the candidate's model loaded. */
  sync(): Promise<void>;
}

export async function rolloutServer(t: Cleanup, stores: Stores, opts: { holderId?: string; app?: Partial<AppDeps>; notify?: Notifier } = {}): Promise<RolloutServer> {
  const log = createBatchedWriter(stores.predictions, { maxRows: 64, maxDelayMs: 5 });
  const rollouts = serverRollouts(stores, { holderId: opts.holderId, leaseMs: 60_000, notify: opts.notify });
  const srv = await startTestApp(t, { source: registrySource(stores.registry), predictionLog: log, feedback: stores.predictions, rollouts, rolloutPollMs: 0, ...opts.app });
  drainBeforeClosing(stores, srv.serve);
  return {
    ...srv,
    log,
    runtime: rollouts.runtime,
    sync: async () => {
      await log.flush();
      await srv.serve.syncRollout();
      await srv.serve.checkModels();
    },
  };
}

export async function start(stores: Stores, spec: Partial<RolloutSpecInput>, version?: number, notify?: Notifier) {
  return startRollout({ store: stores.rollouts, registry: stores.registry, modelName: 'food101', version, spec, actor: 'test', notify });
}

export const control = (stores: Stores) => rolloutRuntime(stores).service;

let image: Buffer | undefined;
export async function photo(): Promise<Buffer> {
  return (image ??= await sharp({ create: { width: 48, height: 40, channels: 3, background: '#a53' } }).jpeg().toBuffer());
}

export interface Answer {
  readonly status: number;
  readonly requestId: string;
  readonly variant: string | null;
  readonly version: number;
  readonly top: string;
  readonly body: any;
}

export async function predict(url: string, user?: string): Promise<Answer> {
  const res = await postFiles(`${url}/predict`, [{ field: 'file', data: await photo(), filename: 'x.jpg', type: 'image/jpeg' }], user ? { 'X-User-Id': user } : {});
  return { status: res.status, requestId: res.body?.request_id, variant: res.headers.get('x-variant'), version: Number(res.headers.get('x-model-version')), top: res.body?.predictions?.[0]?.class, body: res.body };
}

export async function feedback(url: string, requestId: string, label: string | number) {
  const res = await fetch(`${url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_id: requestId, label }) });
  return { status: res.status, body: (await res.json()) as any };
}

/** Requests with feedback `label`, syncing the rollout after each round, until it leaves progressing/paused. */
export async function drive(srv: RolloutServer, stores: Stores, label: (i: number) => string, opts: { rounds?: number; perRound?: number } = {}) {
  const answers: Answer[] = [];
  for (let round = 0; round < (opts.rounds ?? 40); round++) {
    for (let i = 0; i < (opts.perRound ?? 10); i++) {
      const a = await predict(srv.url, `user-${round}-${i}`);
      answers.push(a);
      if (a.status === 200) await feedback(srv.url, a.requestId, label(answers.length));
    }
    await srv.sync();
    const s = await stores.rollouts.latest('food101');
    if (s && s.phase !== 'progressing') return { answers, state: s };
  }
  return { answers, state: (await stores.rollouts.latest('food101'))! };
}

export function tidy(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
