/**
 * `startServer` says "serving" once, when it listens and its model is loaded, never before; a port in use fails
 * before anything is loaded or logged (the old code loaded the model anyway and logged it after the error).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { memoryLogger } from '../../server/logger.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { startServer } from '../../server/start.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tinyVersion } from './fixtures.ts';

test('onServing fires once, after the model is loaded; a busy port fails without loading or logging anything', async (t) => {
  const v = tinyVersion(path.join(tempDir(t, 'f101-start-'), 'v1'), 1, ['a', 'b'], 0);
  const source = staticModelSource('food101', [], {});
  const served: { url: string; version: number; loaded: boolean }[] = [];
  const log = memoryLogger();
  const first = await startServer({
    port: 0,
    modelName: 'food101',
    source,
    pollMs: 30,
    handleSignals: false,
    defaultMetrics: false,
    logger: log,
    onServing: (info) => served.push({ url: info.url, version: info.version, loaded: first.serve.holder.current('champion') !== undefined }),
  });
  t.after(() => first.close());
  // Listening, but nothing registered yet: no "serving".
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(served, []);
  source.addVersion(v);
  source.setAlias('champion', 1);
  const until = Date.now() + 5000;
  while (served.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(served, [{ url: first.url, version: 1, loaded: true }]);

  const port = Number(new URL(first.url).port);
  const log2 = memoryLogger();
  let served2 = 0;
  await assert.rejects(
    startServer({
      port,
      modelName: 'food101',
      source: staticModelSource('food101', [v], { champion: 1 }),
      pollMs: 30,
      handleSignals: false,
      defaultMetrics: false,
      logger: log2,
      onServing: () => void served2++,
    }),
    (err: Error) => /port \d+ on 127\.0\.0\.1 is in use/.test(err.message) && /EADDRINUSE/.test(err.message),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(served2, 0);
  assert.deepEqual(log2.lines, [], 'nothing loaded, nothing logged after the failure');
});
