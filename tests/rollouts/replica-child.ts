/**
 * One server replica for the two-process test (not a test itself): serves `food101` from the store at argv[2]
 * with the rollout controller (holder argv[3]); the rollout state is read, and the controller ticks, every 100 ms.
 */
import { serverRollouts } from '../../rollouts/server-adapter.ts';
import { consoleLogger } from '../../server/logger.ts';
import { startServer } from '../../server/start.ts';
import { registrySource } from '../../steps/serve/registry-source.ts';
import { createBatchedWriter } from '../../stores/batched-writer.ts';
import { openStores } from '../../stores/index.ts';

const [url, holder, registryDir] = process.argv.slice(2) as [string, string, string];
const stores = await openStores({ url, registryDir });
const log = createBatchedWriter(stores.predictions, { maxDelayMs: 20 });
const srv = await startServer({
  port: 0, modelName: 'food101', source: registrySource(stores.registry), predictionLog: log, feedback: stores.predictions,
  rollouts: serverRollouts(stores, { holderId: holder, leaseMs: 3000 }), pollMs: 100, rolloutPollMs: 100, waitForModel: true,
  defaultMetrics: false, exitOnSignal: false,
  logger: consoleLogger(),
});
process.stdout.write(`LISTENING ${srv.url}\n`);
await srv.closed;
await stores.close();
process.exit(0);
