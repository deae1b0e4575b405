/**
 * Prediction rows lost by the log (a locked store, a full disk) are counted, not silent: the sink's `dropped` is
 * exported as `prediction_log_dropped_rows`, next to the upload budget in use.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { staticModelSource } from '../../server/model-source.ts';
import type { PredictionSink } from '../../server/prediction-sink.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';
import { postFiles, startTestApp, tinyVersion } from './fixtures.ts';

const photo = fs.readFileSync(path.join(miniDataDir, 'images/pizza', fs.readdirSync(path.join(miniDataDir, 'images/pizza')).sort()[0]!));

test('a sink that loses rows shows them in /metrics as prediction_log_dropped_rows', async (t) => {
  // A sink whose every write fails, as a locked store would make it: it keeps the count.
  let dropped = 0;
  const sink: PredictionSink = {
    push: () => void dropped++,
    close: async () => {},
    get pending() {
      return 0;
    },
    get dropped() {
      return dropped;
    },
  };
  const v = tinyVersion(path.join(tempDir(t, 'f101-drops-'), 'v1'), 1, ['a', 'b'], 1);
  const { url } = await startTestApp(t, { source: staticModelSource('food101', [v], { champion: 1 }), predictionLog: sink });
  for (let i = 0; i < 3; i++) assert.equal((await postFiles(`${url}/predict`, [{ field: 'file', data: photo, filename: 'p.jpg' }])).status, 200);
  const text = await (await fetch(`${url}/metrics`)).text();
  assert.match(text, /^prediction_log_dropped_rows 3$/m);
  assert.match(text, /^upload_budget_used_bytes 0$/m);
});
