/**
 * Whether the machine is quiet enough for the low-latency session. Its spinning threads help only when they have
 * cores to themselves: on a 2-core box shared with other work (1-minute load average above the core count),
 * MobileNetV2 + flip at batch 1 measured 62 ms with 2 spinning threads against 20-22 ms without spinning
 * (BENCHMARKS.md), so a lone request then takes the ordinary session. Sampled at most once a second.
 */
import os from 'node:os';

export function quietMachine(cores = os.availableParallelism(), now: () => number = Date.now): () => boolean {
  let checkedAt = -Infinity;
  let quiet = true;
  return () => {
    const t = now();
    if (t - checkedAt >= 1000) {
      checkedAt = t;
      quiet = os.loadavg()[0]! < cores;
    }
    return quiet;
  };
}
