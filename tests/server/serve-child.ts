/**
 * A server process for the shutdown test (not a test itself): serves the model dir given on the command line
 * through `startServer`, announces requests on stdout, and reports when its prediction log was closed.
 */
import { startServer } from '../../server/start.ts';
import { staticModelSource } from '../../server/model-source.ts';

const [dir, sha256] = process.argv.slice(2) as [string, string];
let rows = 0;
const srv = await startServer({
  port: 0,
  modelName: 'food101',
  source: staticModelSource('food101', [{ version: 1, dir, modelFile: 'model.onnx', sha256 }], { champion: 1 }),
  pollMs: 0,
  waitForModel: true,
  // The default (5 s) would only slow the shutdown tests down; they set it to see each phase.
  drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 0),
  predictionLog: {
    push: () => void rows++,
    close: async () => {
      await new Promise((r) => setTimeout(r, 20));
      process.stdout.write(`LOG_CLOSED ${rows}\n`);
    },
  },
});
srv.server.prependListener('request', (req) => process.stdout.write(`REQUEST ${req.method} ${req.url}\n`));
process.stdout.write(`LISTENING ${srv.url}\n`);
