/**
 * Monitoring: a CronJob running `pipeline monitor` on the prediction log (the command lands with issue 12; its
 * flags are the ones that issue names), and a ServiceMonitor for the Prometheus Operator, kept in a component
 * because its CRD may be absent (the serving pods also carry prometheus.io/* scrape annotations).
 */
import { baseVolumes, containerSecurityContext, type K8sObject, labels, mounts, type Names, pipelineEnv, podSecurityContext, resources, selector, storeEnv } from './common.ts';
import { monitor } from './sizing.ts';

export function monitorCronJob(names: Names, image: string, model: string): K8sObject {
  const store = storeEnv(names);
  const vols = baseVolumes(names);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: `${names.app}-monitor`, labels: labels(names, 'monitor') },
    spec: {
      schedule: '*/15 * * * *',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 600,
          template: {
            metadata: { labels: labels(names, 'monitor') },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(),
              containers: [
                {
                  name: 'monitor',
                  image,
                  imagePullPolicy: 'IfNotPresent',
                  args: ['monitor', '--pipeline', names.pipelinePath, '--model', model, '--json'],
                  env: [...store.env, ...pipelineEnv()],
                  envFrom: store.envFrom,
                  resources: resources(monitor),
                  securityContext: containerSecurityContext(),
                  volumeMounts: [...vols.volumeMounts, { name: 'work', mountPath: mounts.workdir }],
                },
              ],
              volumes: [...vols.volumes, { name: 'work', emptyDir: { sizeLimit: '1Gi' } }],
            },
          },
        },
      },
    },
  };
}

export function serviceMonitor(names: Names): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: names.serve, labels: labels(names, 'serve') },
    spec: { selector: { matchLabels: selector(names, 'serve') }, endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }] },
  };
}
