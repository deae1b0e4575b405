/**
 * Validates Kubernetes objects against the OpenAPI schemas of Kubernetes v1.33.0, as compiled into the
 * per-kind validators of `kubernetes-models` 4.5 (the 4.x line runs on Node 20; 5.x wants Node 22), plus the
 * CRDs of the Vertical Pod Autoscaler (`@kubernetes-models/autoscaler`) and the Prometheus Operator
 * (`@kubernetes-models/prometheus-operator`). Offline: no cluster, no download.
 */
type Model = { new (data: unknown): { validate(): void } };
export const KUBERNETES_SCHEMA_VERSION = 'v1.33.0';

/** The module that holds the models of an apiVersion. */
function moduleFor(apiVersion: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'autoscaling.k8s.io') return `@kubernetes-models/autoscaler/${group}/${version}`;
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${group}/${version}`;
  return group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
}

/** Problems with one object: empty when it validates. An unknown apiVersion/kind is a problem too. */
export async function schemaProblems(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string } }): Promise<string[]> {
  const where = `${obj.kind}/${obj.metadata?.name}`;
  if (!obj.apiVersion || !obj.kind) return [`${where}: no apiVersion or kind`];
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleFor(obj.apiVersion))) as Record<string, unknown>;
  } catch {
    return [`${where}: no schema for apiVersion ${obj.apiVersion}`];
  }
  const model = mod[obj.kind] as Model | undefined;
  if (typeof model !== 'function') return [`${where}: ${obj.apiVersion} has no kind ${obj.kind}`];
  try {
    new model(obj).validate();
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}
