/**
 * Training as three Jobs, run in order by the training workflow (or by hand, docs/deployment.md):
 * 1. `<app>-prepare` runs split, features and grid once, in the shared workdir volume;
 * 2. `<app>-train`, an Indexed Job: pod i copies the prepared workdir into its own emptyDir (each pod has a
 *    workdir of its own, off the shared volume; shard runs take per-shard locks, so they would not wait on each other
 *    in one workdir either) and runs `pipeline run <file> --only train --shard i/N`; runs go to the shared store
 *    (PostgreSQL), each run's model files to the artifact store (finalize fetches them from there);
 * 3. `<app>-finalize` runs train (every run is found finished in the store and reused), aggregate, export and
 *    register in the shared workdir.
 * Every pod's workdir is the same path (/work). Stage states record paths inside the workdir relative to it, so a
 * copied workdir stays valid; paths outside it (the data volume) must be the same in every pod, and are.
 * The train and finalize Jobs are created suspended; each is resumed once the one before it has completed
 * (Kubernetes has no Job dependencies, and no home-made scheduler is added here).
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
  storeEnv,
} from './common.ts';
import { copier, training } from './sizing.ts';

export const COMPONENT = 'training';
type Plain = Record<string, unknown>;

export interface TrainingInput {
  readonly names: Names;
  readonly image: string;
  /** Image of the shard pods (the GPU build when GPUs are requested). */
  readonly shardImage: string;
  readonly shards: number;
  readonly cpu: number;
  /** nvidia.com/gpu per shard pod; 0 for none. */
  readonly gpus: number;
  /** Names of the stages that end preparation (grid), train, and end training (register). */
  readonly stages: { readonly prepareUntil: string; readonly train: string; readonly finalizeUntil: string };
}

export function storageObjects(names: Names): K8sObject[] {
  const pvc = (name: string, size: string, what: string): K8sObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, labels: labels(names, COMPONENT), annotations: { 'pipeline.k8s/holds': what } },
    // ReadWriteMany: the prepare and finalize Jobs and every shard's copy step mount it, possibly on several nodes.
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: size } } },
  });
  return [
    pvc(names.workPvc, '20Gi', 'the shared workdir: split manifests, stage states, the backbone, outputs'),
    pvc(names.dataPvc, '10Gi', 'the Food-101 photos (official layout), copied in once; mounted read-only'),
  ];
}

function jobPod(t: TrainingInput, container: Plain, workVolume: Plain, extra: { initContainers?: Plain[]; volumes?: Plain[]; tolerations?: Plain[] } = {}): Plain {
  const vols = baseVolumes(t.names);
  return {
    metadata: { labels: labels(t.names, COMPONENT) },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(),
      ...(extra.tolerations ? { tolerations: extra.tolerations } : {}),
      ...(extra.initContainers ? { initContainers: extra.initContainers } : {}),
      containers: [container],
      volumes: [...vols.volumes, workVolume, { name: 'data', persistentVolumeClaim: { claimName: t.names.dataPvc, readOnly: true } }, ...(extra.volumes ?? [])],
    },
  };
}

function pipelineContainer(t: TrainingInput, args: string[], opts: { image?: string; gpus?: number; env?: Plain[] } = {}): Plain {
  const store = storeEnv(t.names);
  const vols = baseVolumes(t.names);
  return {
    name: 'pipeline',
    image: opts.image ?? t.image,
    imagePullPolicy: 'IfNotPresent',
    args,
    env: [...(opts.env ?? []), ...store.env, ...pipelineEnv()],
    envFrom: store.envFrom,
    resources: resources(training(t.cpu), opts.gpus ? { 'nvidia.com/gpu': opts.gpus } : {}),
    securityContext: containerSecurityContext(),
    volumeMounts: [...vols.volumeMounts, { name: 'work', mountPath: mounts.workdir }, { name: 'data', mountPath: mounts.data, readOnly: true }],
  };
}

function job(t: TrainingInput, name: string, spec: Plain, suspend: boolean): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: labels(t.names, COMPONENT) },
    spec: { suspend, ttlSecondsAfterFinished: 7 * 24 * 3600, ...spec },
  };
}

export function trainingObjects(t: TrainingInput): K8sObject[] {
  const file = t.names.pipelinePath;
  const shared = { name: 'work', persistentVolumeClaim: { claimName: t.names.workPvc } };
  const prepare = job(
    t,
    `${t.names.app}-prepare`,
    { backoffLimit: 2, template: jobPod(t, pipelineContainer(t, ['run', file, '--until', t.stages.prepareUntil]), shared) },
    false,
  );
  const copy: Plain = {
    name: 'seed-workdir',
    image: t.shardImage,
    imagePullPolicy: 'IfNotPresent',
    // The entry point runs `sh` as is. The lock file, if a crashed run left one, belongs to that run, not to us.
    args: ['sh', '-c', `cp -a /prepared/. ${mounts.workdir}/ && rm -f ${mounts.workdir}/.pipeline.lock`],
    resources: resources(copier),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: 'prepared', mountPath: '/prepared', readOnly: true },
      { name: 'work', mountPath: mounts.workdir },
    ],
  };
  const shardEnv = [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }];
  const shardContainer = pipelineContainer(t, ['run', file, '--only', t.stages.train, '--shard', `$(JOB_COMPLETION_INDEX)/${t.shards}`], {
    image: t.shardImage,
    gpus: t.gpus,
    env: shardEnv,
  });
  const train = job(
    t,
    `${t.names.app}-train`,
    {
      completionMode: 'Indexed',
      completions: t.shards,
      parallelism: t.shards,
      // A failed shard is retried on its own (a new pod with the same index), up to twice; others keep going.
      backoffLimitPerIndex: 2,
      maxFailedIndexes: 0,
      template: jobPod(t, shardContainer, { name: 'work', emptyDir: { sizeLimit: '20Gi' } }, {
        initContainers: [copy],
        volumes: [{ name: 'prepared', persistentVolumeClaim: { claimName: t.names.workPvc, readOnly: true } }],
        tolerations: t.gpus ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] : undefined,
      }),
    },
    true,
  );
  const finalize = job(
    t,
    `${t.names.app}-finalize`,
    { backoffLimit: 1, template: jobPod(t, pipelineContainer(t, ['run', file, '--from', t.stages.train, '--until', t.stages.finalizeUntil]), shared) },
    true,
  );
  return [prepare, train, finalize];
}
