/**
 * Crash debris: temporaries (`.<name>.tmp-<pid>-...`, written by `writeFileAtomic`/`writeDirAtomic` and by the
 * registry's `.register.tmp-<pid>-...` copies) left by a killed process. Swept at the start of every run in every
 * folder the run writes to, at any depth (outputs/metrics, plots, logs, the stage states, data/processed,
 * experiments/artifacts and the registry), so a kill never leaves a half-written file behind for long.
 * A temporary of a live process is left alone (another command may be writing it now).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../lib/process-alive.ts';

const TEMP = /^\..+\.tmp-(\d+)(?:-|$)/;

/** A temporary of ours cannot exist yet: a previous process had our pid. */
function alive(pid: number): boolean {
  return pid !== process.pid && isProcessAlive(pid);
}

/** Removes dead processes' temporaries under each root (recursively); returns what was removed. */
export function sweepCrashDebris(roots: readonly string[]): string[] {
  const removed: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // missing, or removed meanwhile
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      const m = TEMP.exec(e.name);
      if (m) {
        if (!alive(Number(m[1]))) {
          fs.rmSync(full, { recursive: true, force: true });
          removed.push(full);
        }
      } else if (e.isDirectory()) walk(full);
    }
  };
  for (const root of new Set(roots)) walk(root);
  return removed;
}
