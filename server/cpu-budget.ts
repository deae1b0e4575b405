/**
 * The CPU this process is actually given, so that thread counts follow a pod's CPU limit or a taskset: the cgroup
 * v2 quota (`cpu.max`: "<quota> <period>" or "max <period>"), else cgroup v1 (`cpu.cfs_quota_us` /
 * `cpu.cfs_period_us`, -1 = none), capped by `os.availableParallelism()` (which honours CPU affinity). A quota
 * of 1.5 CPUs gives 1 (rounded down, at least 1): a thread more than the quota only gets throttled.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CpuBudget {
  /** Whole CPUs to size thread pools by (>= 1). */
  readonly cpus: number;
  /** The cgroup quota in CPUs, when there is one. */
  readonly quota?: number;
  /** What `os.availableParallelism()` said (affinity). */
  readonly affinity: number;
  /** Where the number came from. */
  readonly source: 'cgroup v2' | 'cgroup v1' | 'affinity';
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The cgroup CPU quota in CPUs under `root` (default /sys/fs/cgroup), or undefined when unlimited/unknown. */
export function cgroupQuota(root = '/sys/fs/cgroup'): { quota: number; source: 'cgroup v2' | 'cgroup v1' } | undefined {
  const v2 = read(path.join(root, 'cpu.max'));
  if (v2 !== undefined) {
    const [q, p] = v2.split(/\s+/);
    const quota = Number(q);
    const period = Number(p ?? 100_000);
    if (q !== 'max' && quota > 0 && period > 0) return { quota: quota / period, source: 'cgroup v2' };
    return undefined;
  }
  for (const dir of [path.join(root, 'cpu'), path.join(root, 'cpu,cpuacct'), root]) {
    const q = Number(read(path.join(dir, 'cpu.cfs_quota_us')));
    const p = Number(read(path.join(dir, 'cpu.cfs_period_us')));
    if (Number.isFinite(q) && Number.isFinite(p) && p > 0) return q > 0 ? { quota: q / p, source: 'cgroup v1' } : undefined;
  }
  return undefined;
}

export function cpuBudget(opts: { root?: string; affinity?: number } = {}): CpuBudget {
  const affinity = opts.affinity ?? os.availableParallelism();
  const cg = cgroupQuota(opts.root);
  if (cg && cg.quota < affinity) return { cpus: Math.max(1, Math.floor(cg.quota)), quota: cg.quota, affinity, source: cg.source };
  return { cpus: Math.max(1, affinity), ...(cg ? { quota: cg.quota } : {}), affinity, source: 'affinity' };
}

/** The thread settings derived from a budget (explicit options win over these, in config.ts). */
export function derivedThreads(b: CpuBudget): { idleIntraOpNumThreads: number; uvThreadpool: number } {
  // A lone request may spread the model over every CPU given (up to 4); libuv decodes about two images per CPU.
  return { idleIntraOpNumThreads: Math.min(4, b.cpus), uvThreadpool: Math.max(2, 2 * b.cpus) };
}
