/**
 * Policy checks on rendered Kubernetes objects, the ones a cluster's admission policy (Pod Security "restricted",
 * Kyverno's best practices) would apply: pinned images, non-root, read-only root filesystem, no capabilities,
 * requests and limits, probes on long-running containers, secrets only by reference.
 */
type Plain = Record<string, any>;

/** The pod spec of a workload (or undefined for objects without pods). */
export function podSpecOf(o: Plain): Plain | undefined {
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(o.kind)) return o.spec?.template?.spec;
  if (o.kind === 'Pod') return o.spec;
  return undefined;
}

const SECRETISH = /PASSWORD|SECRET|TOKEN|ACCESS_KEY|STORE_URL/;

export function policyProblems(o: Plain): string[] {
  const where = `${o.kind}/${o.metadata?.name}`;
  const problems: string[] = [];
  if (o.kind === 'Secret') problems.push(`${where}: a Secret is rendered (secrets must come from the cluster, by reference)`);
  const pod = podSpecOf(o);
  if (!pod) return problems;
  const longRunning = ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind);
  if (pod.automountServiceAccountToken !== false) problems.push(`${where}: automountServiceAccountToken is not false`);
  if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: no RuntimeDefault seccomp profile`);
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: uses host namespaces`);
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  for (const c of containers) {
    const at = `${where} container ${c.name}`;
    const image: string = c.image ?? '';
    const tag = image.includes('@') ? 'digest' : /:([^/:]+)$/.exec(image)?.[1];
    if (!tag) problems.push(`${at}: image ${image} has no tag`);
    if (tag === 'latest') problems.push(`${at}: image ${image} uses latest`);
    const sc = c.securityContext ?? {};
    if (!(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) problems.push(`${at}: not runAsNonRoot`);
    if ((sc.runAsUser ?? pod.securityContext?.runAsUser) === 0) problems.push(`${at}: runs as uid 0`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is writable`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
    if (sc.privileged) problems.push(`${at}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities not dropped (drop: [ALL])`);
    if (sc.capabilities?.add?.length) problems.push(`${at}: adds capabilities`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const r of ['cpu', 'memory']) if (!c.resources?.[kind]?.[r]) problems.push(`${at}: no ${r} in resources.${kind}`);
    }
    const isInit = (pod.initContainers ?? []).includes(c);
    if (longRunning && !isInit) {
      for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) if (!c[p]) problems.push(`${at}: no ${p}`);
    }
    for (const e of c.env ?? []) {
      if (SECRETISH.test(e.name) && (e.value !== undefined || !e.valueFrom?.secretKeyRef)) problems.push(`${at}: env ${e.name} is not a secretKeyRef`);
    }
  }
  return problems;
}
