/**
 * Serving: Deployment, Service, HorizontalPodAutoscaler (CPU), PodDisruptionBudget. The VerticalPodAutoscaler and
 * the requests/s metric live in components (components.ts): their CRD or adapter may be absent from a cluster.
 */
import {
  baseVolumes,
  containerSecurityContext,
  type K8sObject,
  labels,
  mounts,
  type Names,
  pipelineEnv,
  podSecurityContext,
  resources,
  selector,
  storeEnv,
} from './common.ts';
import { serving, shutdown } from './sizing.ts';

export const SERVE_PORT = 8000;
const COMPONENT = 'serve';

export interface ServingInput {
  readonly names: Names;
  readonly image: string;
  readonly model: string;
  readonly alias: string;
  /** The serve stage's drain_delay_ms / drain_timeout_ms (preStop and the grace period follow them). */
  readonly drain: { readonly delayMs: number; readonly timeoutMs: number };
}

export function servingObjects(s: ServingInput): K8sObject[] {
  const { names } = s;
  const meta = { name: names.serve, labels: labels(names, COMPONENT) };
  const sel = selector(names, COMPONENT);
  const store = storeEnv(names);
  const vols = baseVolumes(names);
  const stop = shutdown(s.drain);
  const deployment: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: sel },
      // One new pod at a time and none removed before its replacement is ready: capacity never drops.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: labels(names, COMPONENT),
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(SERVE_PORT), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(),
          terminationGracePeriodSeconds: stop.graceSeconds,
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: sel } },
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: sel } },
          ],
          containers: [
            {
              name: 'serve',
              image: s.image,
              imagePullPolicy: 'IfNotPresent',
              // The image's entry point: `serve` = pipeline serve --host $HOST --port $PORT --model ... --alias ...
              args: ['serve', names.pipelinePath],
              ports: [{ name: 'http', containerPort: SERVE_PORT, protocol: 'TCP' }],
              env: [
                ...store.env,
                ...pipelineEnv(),
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'PORT', value: String(SERVE_PORT) },
                { name: 'MODEL_NAME', value: s.model },
                { name: 'MODEL_ALIAS', value: s.alias },
              ],
              envFrom: store.envFrom,
              resources: resources(serving.resources),
              securityContext: containerSecurityContext(),
              // Up to 3 minutes to fetch the model from the artifact store and open its session.
              startupProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 36 },
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
              livenessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
              // Endpoints and load balancers drop a terminating pod asynchronously: keep serving for the drain delay
              // before SIGTERM, then the server drains itself (sizing.ts shutdown()).
              lifecycle: { preStop: { exec: { command: ['sleep', String(stop.preStopSeconds)] } } },
              volumeMounts: [...vols.volumeMounts, { name: 'work', mountPath: mounts.workdir }],
            },
          ],
          volumes: [...vols.volumes, { name: 'work', emptyDir: { sizeLimit: '2Gi' } }],
        },
      },
    },
  };
  const service: K8sObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: { type: 'ClusterIP', selector: sel, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };
  const hpa: K8sObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.serve },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: serving.cpuUtilization } } }],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      },
    },
  };
  const pdb: K8sObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta,
    spec: { minAvailable: 1, selector: { matchLabels: sel } },
  };
  return [deployment, service, hpa, pdb];
}

/** VerticalPodAutoscaler in recommendation mode: it reports requests, never evicts (HPA scales on CPU already). */
export function verticalPodAutoscaler(names: Names): K8sObject {
  return {
    apiVersion: 'autoscaling.k8s.io/v1',
    kind: 'VerticalPodAutoscaler',
    metadata: { name: names.serve, labels: labels(names, 'serve') },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.serve },
      updatePolicy: { updateMode: 'Off' },
      resourcePolicy: { containerPolicies: [{ containerName: 'serve', controlledResources: ['cpu', 'memory'], minAllowed: { cpu: '250m', memory: '512Mi' }, maxAllowed: { cpu: '4', memory: '4Gi' } }] },
    },
  };
}
