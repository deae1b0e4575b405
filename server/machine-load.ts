/**
 * Whether the machine has room for the low-latency session's spinning threads. They help only when they get cores
 * to themselves: on a 2-core box shared with other work, MobileNetV2 + flip at batch 1 measured 62 ms with 2
 * spinning threads against 20-22 ms without (BENCHMARKS.md), so a lone request then takes the ordinary session.
 *
 * "Other work" is the CPU that other processes used over the last second: the machine's busy time from
 * /proc/stat (steal included: a hypervisor taking the cores is other work too) less this process's own
 * (`process.cpuUsage()`, every thread). The 1-minute load average used before also counted this server's own
 * recent burst, so for about a minute after serving under load lone requests lost the low-latency path (a
 * benchmark's second round measured c=1 p50 31 ms against 22 in its first; with this rule 28 against 23, so the
 * rule was part of that gap, not all of it). Where /proc/stat cannot be read, the load average stands in.
 */
import fs from 'node:fs';
import os from 'node:os';

/** Cumulative CPU time of the whole machine, in clock ticks. */
export interface CpuSample {
  readonly busy: number;
  readonly total: number;
  /** CPUs the counters cover. */
  readonly cpus: number;
}

/** The aggregate line of /proc/stat: user nice system idle iowait irq softirq steal ... */
export function parseProcStat(text: string): CpuSample | undefined {
  const lines = text.split('\n');
  const agg = lines.find((l) => l.startsWith('cpu '));
  if (!agg) return undefined;
  const v = agg.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 4 || v.some((x) => !Number.isFinite(x))) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  const cpus = lines.filter((l) => /^cpu\d+ /.test(l)).length;
  return { busy, total: busy + idle + iowait, cpus: Math.max(1, cpus) };
}

function readProcStat(): CpuSample | undefined {
  try {
    return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

export interface QuietOptions {
  /** Threads of the low-latency session: the cores it wants free. */
  readonly threads: number;
  readonly now?: () => number;
  readonly sample?: () => CpuSample | undefined;
  /** This process's user + system CPU so far, in ms. */
  readonly ownCpuMs?: () => number;
  /** Fallback without /proc/stat: quiet while the 1-minute load average is below `cores`. */
  readonly loadavg?: () => number;
  readonly cores?: number;
}

/** CPUs that other processes kept busy between two samples taken `seconds` apart (>= 0). */
export function otherCores(a: CpuSample, b: CpuSample, ownMs: number, seconds: number): number {
  const total = b.total - a.total;
  if (!(total > 0) || !(seconds > 0)) return 0;
  const busyCores = ((b.busy - a.busy) / total) * b.cpus;
  return Math.max(0, busyCores - ownMs / 1000 / seconds);
}

/**
 * A check that is cheap to call per request: re-sampled at most once a second, over the time since the previous
 * sample (at most 5 s: older than that, the first call after a pause re-samples and keeps the last answer).
 */
export function quietMachine(o: QuietOptions): () => boolean {
  const now = o.now ?? Date.now;
  const sample = o.sample ?? readProcStat;
  const ownCpuMs = o.ownCpuMs ?? (() => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  });
  const loadavg = o.loadavg ?? (() => os.loadavg()[0]!);
  const cores = o.cores ?? os.availableParallelism();
  let last: { t: number; s: CpuSample; own: number } | undefined;
  let checkedAt = -Infinity;
  let quiet = true;
  return () => {
    const t = now();
    if (t - checkedAt < 1000) return quiet;
    checkedAt = t;
    const s = sample();
    if (!s) {
      last = undefined;
      return (quiet = loadavg() < cores);
    }
    const own = ownCpuMs();
    // Room for the session's threads, with half a core of slack (a load generator, a shell, the kernel).
    if (last && t - last.t <= 5000) quiet = s.cpus - otherCores(last.s, s, own - last.own, (t - last.t) / 1000) >= o.threads - 0.5;
    last = { t, s, own };
    return quiet;
  };
}
