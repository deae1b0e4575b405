/** Temporary copies of model directories made while registering, and the debris crashed registrations leave. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './common.ts';

/** Tags temporary copies with this host, so that a copy whose pid is gone here is known to be debris. */
export const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/**
 * Copies left by a registering process that died: at once when it ran on this host and its pid is gone, after
 * an hour when it ran elsewhere (a shared registry directory) or its host is unknown.
 */
export function removeAbandonedTemps(modelDir: string): void {
  for (const entry of fs.readdirSync(modelDir)) {
    const m = /^\.register\.tmp-(\d+)-(?:([0-9a-f]{8})-)?/.exec(entry);
    if (!m) continue;
    const here = m[2] === HOST_TAG;
    if (here && isProcessAlive(Number(m[1]))) continue;
    const dir = path.join(modelDir, entry);
    const st = fs.statSync(dir, { throwIfNoEntry: false }); // another process may be removing it too
    if (st && (here || Date.now() - st.mtimeMs > 3_600_000)) fs.rmSync(dir, { recursive: true, force: true });
  }
}
