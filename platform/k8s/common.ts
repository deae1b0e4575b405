/**
 * Pieces every rendered workload shares: names and labels, the restricted security context (non-root, read-only
 * root filesystem, no capabilities), where the pipeline file and the writable paths are mounted, and the store's
 * environment, which comes from a Secret by reference only.
 */
import type { ContainerResources } from './sizing.ts';

/** A Kubernetes object as plain data (validated by the tests against the OpenAPI schemas). */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: unknown }; [k: string]: unknown };
type Plain = Record<string, unknown>;

/** Names used across objects, derived from the pipeline's name. */
export interface Names {
  readonly app: string;
  readonly pipelineConfigMap: string;
  readonly envConfigMap: string;
  /** The Secret the user creates (never rendered): store URL and S3 credentials. */
  readonly secret: string;
  readonly workPvc: string;
  readonly dataPvc: string;
  readonly serve: string;
  /** Path of the pipeline file inside every pod. */
  readonly pipelinePath: string;
}

export function namesFor(pipeline: string): Names {
  const app = pipeline.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'pipeline';
  return {
    app,
    pipelineConfigMap: `${app}-pipeline`,
    envConfigMap: `${app}-env`,
    secret: `${app}-store`,
    workPvc: `${app}-work`,
    dataPvc: `${app}-data`,
    serve: `${app}-serve`,
    pipelinePath: `/etc/pipeline/${app}.yaml`,
  };
}

/** Where pods keep state: the workdir of the rendered pipeline file, the data set, the backbone. */
export const mounts = { workdir: '/work', pipelineDir: '/etc/pipeline', data: '/data/food101', tmp: '/tmp' } as const;
export const BACKBONE_IN_POD = `${mounts.workdir}/models/mobilenetv2-12-int8.onnx`;

/** The uid/gid of the images' `food101` user (platform/docker/Dockerfile.base). */
export const APP_UID = 10001;

export function labels(names: Names, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': names.app, 'app.kubernetes.io/component': component, 'app.kubernetes.io/part-of': names.app, 'app.kubernetes.io/managed-by': 'pipeline-k8s-render' };
}

export function selector(names: Names, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': names.app, 'app.kubernetes.io/component': component };
}

export function podSecurityContext(uid = APP_UID): Plain {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } };
}

export function containerSecurityContext(): Plain {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } };
}

/** Store URL and S3 credentials from the Secret; the non-secret settings (bucket URL, region, endpoint) from a ConfigMap. */
export function storeEnv(names: Names): { env: Plain[]; envFrom: Plain[] } {
  const fromSecret = (name: string, optional: boolean) => ({ name, valueFrom: { secretKeyRef: { name: names.secret, key: name, optional } } });
  return {
    // The S3 keys are optional: without them the AWS SDK uses its own chain (IRSA, workload identity, IMDS).
    env: [fromSecret('MLOPS_STORE_URL', false), fromSecret('AWS_ACCESS_KEY_ID', true), fromSecret('AWS_SECRET_ACCESS_KEY', true)],
    envFrom: [{ configMapRef: { name: names.envConfigMap } }],
  };
}

/** The environment the rendered pipeline file's `${...}` references resolve against in every pod. */
export function pipelineEnv(): Plain[] {
  return [
    { name: 'FOOD101_DIR', value: mounts.data },
    { name: 'BACKBONE_ONNX', value: BACKBONE_IN_POD },
    { name: 'HOME', value: mounts.tmp },
  ];
}

/** The pipeline file (read-only) and /tmp (emptyDir): every pod has both. */
export function baseVolumes(names: Names): { volumes: Plain[]; volumeMounts: Plain[] } {
  return {
    volumes: [
      { name: 'pipeline', configMap: { name: names.pipelineConfigMap } },
      { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
    ],
    volumeMounts: [
      { name: 'pipeline', mountPath: mounts.pipelineDir, readOnly: true },
      { name: 'tmp', mountPath: mounts.tmp },
    ],
  };
}

export function resources(r: ContainerResources, extra: Record<string, string | number> = {}): Plain {
  const add = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
  return { requests: { ...r.requests, ...add }, limits: { ...r.limits, ...add } };
}
