/** A listening server (`startServer`, as `pipeline serve` starts it) on a tiny two-class model, closed after `t`. */
import path from 'node:path';
import type { ServeOptions } from '../../server/config.ts';
import { memoryLogger } from '../../server/logger.ts';
import { staticModelSource } from '../../server/model-source.ts';
import { startServer, type RunningServer } from '../../server/start.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tinyVersion, type Cleanup } from './fixtures.ts';

export async function startTinyServer(t: Cleanup, opts: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const v = tinyVersion(path.join(tempDir(t, 'f101-tiny-server-'), 'v1'), 1, ['a', 'b'], 0);
  const running = await startServer({
    port: 0,
    modelName: 'food101',
    source: staticModelSource('food101', [v], { champion: 1 }),
    pollMs: 0,
    defaultMetrics: false,
    handleSignals: false,
    waitForModel: true,
    logger: memoryLogger(),
    ...opts,
  });
  t.after(() => running.close());
  return running;
}
