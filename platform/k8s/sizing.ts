/**
 * Resource requests and limits, derived from what BENCHMARKS.md measured (2 vCPU AMD EPYC, Node 20, the mini data
 * set, the default champion: MobileNetV2 int8 + test-time flip + MLP head). The derivations are written next to each
 * number so that a new benchmark changes one line here, and docs/deployment.md repeats them.
 */

export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Serving sizes and the autoscaling targets that follow from them. */
export const serving = {
  // "Our server used 21 ms of CPU per request at 16 connections with the champion": one core serves ~47 req/s.
  // Peak RSS 426 MB at 32 connections: request 512 Mi; the limit leaves room for a hot swap (two models loaded
  // while the new one warms up) without an OOM kill.
  resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } } satisfies ContainerResources,
  cpuMsPerRequest: 21,
  /** HPA target on CPU (of the request): scale out before a pod is saturated. */
  cpuUtilization: 70,
  /** Requests/s per pod target for the Prometheus-adapter variant: ~65 % of one core's 47 req/s. */
  requestsPerSecond: 30,
} as const;

/**
 * Training pods: `--until train`, cold store, peaked at 919 MB RSS (worker threads included), `--until register`
 * at 969 MB; split and features fit in the same. Requests 1 Gi, limit 2 Gi. CPU: the pipeline's `resources.cpu`
 * (the worker pool's size) is what a training pod can keep busy. Measured on the mini set: the full Food-101 keeps
 * ~100x the feature vectors, so patch memory up in an overlay there (docs/deployment.md says how).
 */
export function training(cpu: number): ContainerResources {
  const cores = String(Math.max(1, Math.round(cpu)));
  return { requests: { cpu: cores, memory: '1Gi' }, limits: { cpu: cores, memory: '2Gi' } };
}

/** `pipeline monitor` (issue 12, not in this tree yet): not measured; sized like one serving request stream. */
export const monitor: ContainerResources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } };

/** Init containers that copy the prepared workdir: I/O only. */
export const copier: ContainerResources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** Dev-only PostgreSQL and object store: small, fixed. */
export const devService: ContainerResources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } };

/**
 * How a serving pod stops, from the serve stage's `drain_delay_ms` and `drain_timeout_ms` (server/start.ts):
 * - preStop sleeps the drain delay: endpoints and load balancers drop the pod while it still answers everything;
 * - then SIGTERM: the server is not ready and answers for the drain delay again (it cannot know a preStop ran;
 *   a balancer that only watches /ready needs it), refuses new work for at most the drain timeout while requests
 *   in flight finish, flushes the prediction log (`flushSeconds`) and exits;
 * - terminationGracePeriodSeconds covers all of it, so the kubelet's SIGKILL never cuts a drain short.
 */
export function shutdown(drain: { readonly delayMs: number; readonly timeoutMs: number }) {
  const preStopSeconds = Math.ceil(drain.delayMs / 1000);
  const flushSeconds = 5;
  return { preStopSeconds, graceSeconds: preStopSeconds + Math.ceil(drain.delayMs / 1000) + Math.ceil(drain.timeoutMs / 1000) + flushSeconds };
}
