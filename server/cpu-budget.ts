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

export interface DerivedThreads {
  /** onnxruntime intra-op threads of the batch session under load. */
  readonly intraOpNumThreads: number;
  /** Intra-op threads of the lone-request session. */
  readonly idleIntraOpNumThreads: number;
  /** Inference workers of the served model (batches that may compute at once). */
  readonly inferenceRuns: number;
  /** Largest micro-batch. */
  readonly maxBatch: number;
  /** libuv's pool (image decoding); only the environment can set it (bin/uv-threadpool-size.js). */
  readonly uvThreadpool: number;
}

/** The serving settings derived from a budget (explicit options win over these, in config.ts). */
export function derivedThreads(b: CpuBudget): DerivedThreads {
  return {
    // Under load half the CPUs run the model and the other half decode uploads (one libvips thread per image):
    // on 2 CPUs that is the measured best, 1 + 1 (BENCHMARKS.md).
    intraOpNumThreads: Math.max(1, Math.floor(b.cpus / 2)),
    // A lone request may spread the model over every CPU given (up to 4: a 224-px MobileNet gains little beyond).
    idleIntraOpNumThreads: Math.min(4, b.cpus),
    // Two batches may compute at once from 2 CPUs: a batch of the model thread(s) no longer waits for the one
    // before, so the model takes the other core whenever decoding leaves it free (1.54 -> ~2 cores busy at c=16).
    inferenceRuns: b.cpus >= 2 ? 2 : 1,
    // More model threads finish a bigger batch in the same time. On 2-3 CPUs two workers each run batches of at
    // most 4: the mean batch at 16 connections is ~4 either way, the model costs the same per image at 1 or 8, and
    // two runs of 8 flip images held ~20 MB more peak RSS (BENCHMARKS.md). One CPU, one worker: 8.
    maxBatch: b.cpus >= 4 ? 16 : b.cpus >= 2 ? 4 : 8,
    // libuv decodes about two images per CPU (one computing, one waiting on its upload or the model).
    uvThreadpool: Math.max(2, 2 * b.cpus),
  };
}

/** libuv's pool size in this process: fixed from the environment before any JavaScript ran (default 4). */
export function uvThreadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

/** What `GET /models` says about the CPU: the budget, what it derives, and what the server runs with. */
export function budgetReport(b: CpuBudget, running: { intraOpNumThreads: number; idleIntraOpNumThreads: number; inferenceRuns: number; maxBatch: number }) {
  return {
    cpus: b.cpus,
    source: b.source,
    quota: b.quota ?? null,
    affinity: b.affinity,
    derived: derivedThreads(b),
    // Differs from `derived` where an option (or UV_THREADPOOL_SIZE) was set explicitly.
    running: { ...running, uvThreadpool: uvThreadpoolSize() },
  };
}
