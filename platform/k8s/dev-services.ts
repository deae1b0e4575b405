/**
 * The dev overlay's own PostgreSQL and S3-compatible object store (MinIO), so a laptop cluster (kind, minikube,
 * k3d) runs the whole loop. Both read their credentials from the same Secret the pipeline pods use; images are
 * pinned by tag. Production points MLOPS_STORE_URL and AWS_ENDPOINT_URL at managed services instead.
 */
import { containerSecurityContext, type K8sObject, labels, type Names, podSecurityContext, resources, selector } from './common.ts';
import { devService } from './sizing.ts';

export const DEV_IMAGES = {
  postgres: 'postgres:16.6-bookworm',
  minio: 'minio/minio:RELEASE.2024-12-18T13-15-44Z',
  mc: 'minio/mc:RELEASE.2024-11-21T17-21-54Z',
} as const;
/** The postgres user of the official image (Debian variant). */
const POSTGRES_UID = 999;
type Plain = Record<string, unknown>;

export function devNames(names: Names) {
  return { postgres: `${names.app}-postgres`, objectStore: `${names.app}-object-store`, bucket: `${names.app}-artifacts` };
}

const secretEnv = (names: Names, name: string, key: string, optional = false): Plain => ({ name, valueFrom: { secretKeyRef: { name: names.secret, key, optional } } });

function service(names: Names, name: string, component: string, port: number, headless: boolean): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(names, component) },
    spec: { ...(headless ? { clusterIP: 'None' } : {}), selector: selector(names, component), ports: [{ name: component, port, targetPort: port, protocol: 'TCP' }] },
  };
}

export function devServiceObjects(names: Names): K8sObject[] {
  const dev = devNames(names);
  const pgComponent = 'postgres';
  const postgres: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: dev.postgres, labels: labels(names, pgComponent) },
    spec: {
      serviceName: dev.postgres,
      replicas: 1,
      selector: { matchLabels: selector(names, pgComponent) },
      template: {
        metadata: { labels: labels(names, pgComponent) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(POSTGRES_UID),
          containers: [
            {
              name: 'postgres',
              image: DEV_IMAGES.postgres,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
              env: [
                { name: 'POSTGRES_USER', value: names.app },
                { name: 'POSTGRES_DB', value: names.app },
                secretEnv(names, 'POSTGRES_PASSWORD', 'POSTGRES_PASSWORD'),
                { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
              ],
              resources: resources(devService),
              securityContext: containerSecurityContext(),
              startupProbe: { exec: { command: ['pg_isready', '-U', names.app, '-d', names.app] }, periodSeconds: 5, failureThreshold: 30 },
              readinessProbe: { exec: { command: ['pg_isready', '-U', names.app, '-d', names.app] }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { exec: { command: ['pg_isready', '-U', names.app, '-d', names.app] }, periodSeconds: 15, failureThreshold: 4 },
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/postgresql/data' },
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
    },
  };
  const osComponent = 'object-store';
  const minioVolumes = [
    { name: 'data', persistentVolumeClaim: { claimName: dev.objectStore } },
    { name: 'tmp', emptyDir: {} },
  ];
  const objectStore: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: dev.objectStore, labels: labels(names, osComponent) },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector(names, osComponent) },
      template: {
        metadata: { labels: labels(names, osComponent) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(),
          containers: [
            {
              name: 'minio',
              image: DEV_IMAGES.minio,
              imagePullPolicy: 'IfNotPresent',
              args: ['server', '/data', '--address', ':9000', '--certs-dir', '/tmp/certs'],
              ports: [{ name: 'object-store', containerPort: 9000, protocol: 'TCP' }],
              env: [secretEnv(names, 'MINIO_ROOT_USER', 'AWS_ACCESS_KEY_ID'), secretEnv(names, 'MINIO_ROOT_PASSWORD', 'AWS_SECRET_ACCESS_KEY'), { name: 'HOME', value: '/tmp' }],
              resources: resources(devService),
              securityContext: containerSecurityContext(),
              startupProbe: { httpGet: { path: '/minio/health/live', port: 9000 }, periodSeconds: 5, failureThreshold: 30 },
              readinessProbe: { httpGet: { path: '/minio/health/ready', port: 9000 }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/minio/health/live', port: 9000 }, periodSeconds: 15, failureThreshold: 4 },
              volumeMounts: [
                { name: 'data', mountPath: '/data' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: minioVolumes,
        },
      },
    },
  };
  const objectStorePvc: K8sObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: dev.objectStore, labels: labels(names, osComponent) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
  };
  // MinIO starts with no bucket: create the artifacts bucket once it answers (retried by the Job's backoff).
  const bucketJob: K8sObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${dev.objectStore}-bucket`, labels: labels(names, osComponent) },
    spec: {
      backoffLimit: 10,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: labels(names, osComponent) },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: podSecurityContext(),
          containers: [
            {
              name: 'mc',
              image: DEV_IMAGES.mc,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', `mc alias set dev http://${dev.objectStore}:9000 "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" && mc mb --ignore-existing dev/${dev.bucket}`],
              env: [secretEnv(names, 'AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID'), secretEnv(names, 'AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY'), { name: 'MC_CONFIG_DIR', value: '/tmp/.mc' }],
              resources: resources(devService),
              securityContext: containerSecurityContext(),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
  return [postgres, service(names, dev.postgres, pgComponent, 5432, false), objectStorePvc, objectStore, service(names, dev.objectStore, osComponent, 9000, false), bucketJob];
}
