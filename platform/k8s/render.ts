/**
 * `pipeline k8s render`: from a validated pipeline config to a kustomize tree (path -> YAML text). Pure: the
 * caller writes the tree (write-tree.ts). Reads only the runner's config types, nothing from steps/, ml/ or stores/.
 */
import type { PipelineConfig } from '../../runner/config/pipeline-config.ts';
import { PipelineError } from '../../runner/errors.ts';
import { type K8sObject, labels, mounts, namesFor, type Names } from './common.ts';
import { devNames, devServiceObjects } from './dev-services.ts';
import { addObjects, fileFor, kustomization, patch, type Tree, yamlFile } from './layout.ts';
import { monitorCronJob, serviceMonitor } from './monitoring.ts';
import type { RenderOptions } from './options.ts';
import { podPipelineFile } from './pipeline-file.ts';
import { servingObjects, verticalPodAutoscaler } from './serving.ts';
import { serving } from './sizing.ts';
import { storageObjects, trainingObjects } from './training.ts';


export interface RenderInput {
  readonly config: PipelineConfig;
  readonly options: RenderOptions;
  /** Key paths set with --set (kept literal in the pods' pipeline file). */
  readonly overriddenPaths?: readonly string[];
}

function stageOf(config: PipelineConfig, step: string): PipelineConfig['stages'][number] | undefined {
  return config.stages.find((s) => s.step.name === step);
}

function requireStage(config: PipelineConfig, step: string): string {
  const s = stageOf(config, step);
  if (!s) throw new PipelineError('K8S_RENDER', `${config.file}: no stage with step '${step}'; the training Jobs run split ... ${step}: add one under stages:`);
  return s.name;
}

function configMaps(names: Names, config: PipelineConfig, overriddenPaths: readonly string[]): K8sObject[] {
  const file = podPipelineFile(config, { overriddenPaths, workdir: mounts.workdir });
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: names.pipelineConfigMap, labels: labels(names, 'config') }, data: { [`${names.app}.yaml`]: file } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: names.envConfigMap, labels: labels(names, 'config') },
      // Not secret: where artifacts go. Credentials and the store URL are in the Secret (by reference only).
      data: { MLOPS_ARTIFACTS_URL: `s3://${devNames(names).bucket}/${names.app}`, AWS_REGION: 'us-east-1' },
    },
  ];
}

function namespaceObject(ns: string, names: Names): K8sObject {
  const level = 'restricted';
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { ...labels(names, 'namespace'), 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/warn': level } },
  };
}

export function renderManifests(input: RenderInput): Tree {
  const { config, options } = input;
  const names = namesFor(config.name);
  const tree: Tree = new Map();
  const model = String(stageOf(config, 'register')?.params.model ?? stageOf(config, 'serve')?.params.model ?? config.name);
  const alias = String(stageOf(config, 'serve')?.params.alias ?? 'champion');
  const gpus = options.gpuImage ? Math.max(0, Math.floor(config.resources.gpu ?? 0)) : 0;
  const stages = { prepareUntil: requireStage(config, 'grid'), train: requireStage(config, 'train'), finalizeUntil: requireStage(config, 'register') };

  // base: everything a serving deploy applies.
  const serveParams = stageOf(config, 'serve')?.params ?? {};
  // Validated, so the defaults are filled in; a file without a serve stage gets the server's own defaults.
  const drain = { delayMs: Number(serveParams.drain_delay_ms ?? 5000), timeoutMs: Number(serveParams.drain_timeout_ms ?? 10_000) };
  const served = servingObjects({ names, image: options.serveImage, model, alias, drain });
  const [deployment, , hpa, pdb] = served;
  const storage = storageObjects(names);
  const base = [namespaceObject(options.namespace, names), ...configMaps(names, config, input.overriddenPaths ?? []), ...storage, ...served, monitorCronJob(names, options.trainImage, model)];
  tree.set('base/kustomization.yaml', kustomization({ namespace: options.namespace, resources: addObjects(tree, 'base', base) }, 'Kustomization', 'Serving, configuration, storage and monitoring. The Secret ' + names.secret + ' is not here: create it (docs/deployment.md).'));

  // jobs: one training run, applied on its own (kubectl apply -k <out>/jobs), in order.
  const jobs = trainingObjects({ names, image: options.trainImage, shardImage: gpus ? options.gpuImage! : options.trainImage, shards: options.shards, cpu: config.resources.cpu ?? 1, gpus, stages });
  tree.set(
    'jobs/kustomization.yaml',
    kustomization({ namespace: options.namespace, resources: addObjects(tree, 'jobs', jobs) }, 'Kustomization', `One training run: ${jobs.map((j) => j.metadata.name).join(' -> ')}. Only the first starts; resume the next when the previous has completed.`),
  );

  // components: need a CRD or an adapter that a cluster may not have.
  tree.set('components/vertical-pod-autoscaler/kustomization.yaml', kustomization({ resources: addObjects(tree, 'components/vertical-pod-autoscaler', [verticalPodAutoscaler(names)]) }, 'Component', 'Needs the VerticalPodAutoscaler CRDs (kubernetes/autoscaler). updateMode Off: recommendations only.'));
  tree.set('components/service-monitor/kustomization.yaml', kustomization({ resources: addObjects(tree, 'components/service-monitor', [serviceMonitor(names)]) }, 'Component', 'Needs the Prometheus Operator CRDs (monitoring.coreos.com).'));
  tree.set('components/requests-per-second/prometheus-adapter-rules.yaml', yamlFile([prometheusAdapterRules()], 'A rule for prometheus-adapter (its Helm values: rules.custom) that makes http_requests_per_second a per-pod custom metric.'));
  tree.set(
    'components/requests-per-second/kustomization.yaml',
    kustomization(
      {
        patches: [
          {
            target: { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', name: hpa.metadata.name },
            patch: yamlFile([[{ op: 'add', path: '/spec/metrics/-', value: { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: String(serving.requestsPerSecond) } } } }]]),
          },
        ],
      },
      'Component',
      `Scale on requests/s per pod too (target ${serving.requestsPerSecond}). Needs prometheus-adapter with the rule in prometheus-adapter-rules.yaml.`,
    ),
  );

  // overlays
  const dev = devServiceObjects(names);
  const devPatches: Record<string, unknown>[] = [
    patch(deployment, { spec: { replicas: 1 } }),
    patch(hpa, { spec: { minReplicas: 1, maxReplicas: 2 } }),
    patch(pdb, { spec: { minAvailable: null, maxUnavailable: 1 } }),
    ...storage.map((pvc) => patch(pvc, { spec: { accessModes: ['ReadWriteOnce'] } })),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: names.envConfigMap }, data: { AWS_ENDPOINT_URL: `http://${devNames(names).objectStore}:9000` } },
  ];
  tree.set('overlays/dev/patches.yaml', yamlFile(devPatches, 'One replica, single-node volumes (ReadWriteOnce), the in-cluster object store.'));
  tree.set('overlays/dev/kustomization.yaml', kustomization({ namespace: options.namespace, resources: ['../../base', ...addObjects(tree, 'overlays/dev', dev)], patches: [{ path: 'patches.yaml' }] }, 'Kustomization', 'A laptop cluster: the base plus its own PostgreSQL and MinIO (credentials from the same Secret).'));
  const prodPatches = [patch(deployment, { spec: { replicas: 3 } }), patch(hpa, { spec: { minReplicas: 3, maxReplicas: 20 } }), patch(pdb, { spec: { minAvailable: 2 } })];
  tree.set('overlays/prod/patches.yaml', yamlFile(prodPatches, 'Three replicas at least, two always available.'));
  tree.set(
    'overlays/prod/kustomization.yaml',
    `${kustomization({ namespace: options.namespace, resources: ['../../base'], patches: [{ path: 'patches.yaml' }] }, 'Kustomization', 'Managed PostgreSQL and S3: MLOPS_STORE_URL in the Secret, AWS_ENDPOINT_URL only for an S3-compatible service.')}` +
      '# Optional, where the cluster has what they need:\n# components:\n#   - ../../components/vertical-pod-autoscaler\n#   - ../../components/service-monitor\n#   - ../../components/requests-per-second\n',
  );
  tree.set('.pipeline-k8s', `rendered from ${config.file}\n`);
  tree.set('README.md', readme(config, options, names, jobs.map(fileFor)));
  return tree;
}

function prometheusAdapterRules(): Record<string, unknown> {
  return {
    rules: [
      {
        seriesQuery: 'http_requests_total{namespace!="",pod!=""}',
        resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
        name: { matches: '^http_requests_total$', as: 'http_requests_per_second' },
        metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>,route=~"/predict.*"}[2m])) by (<<.GroupBy>>)',
      },
    ],
  };
}

function readme(config: PipelineConfig, o: RenderOptions, names: Names, jobFiles: string[]): string {
  return [
    `# Kubernetes manifests for ${config.name}`,
    '',
    `Rendered by \`pipeline k8s render\` (namespace \`${o.namespace}\`, ${o.shards} shards, images \`${o.trainImage}\`, \`${o.serveImage}\`${o.gpuImage ? `, GPU \`${o.gpuImage}\`` : ''}). Re-render instead of editing; the walk-through is docs/deployment.md.`,
    '',
    `- \`kubectl -n ${o.namespace} create secret generic ${names.secret} ...\` first (keys: MLOPS_STORE_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; dev also POSTGRES_PASSWORD)`,
    '- `kubectl apply -k overlays/dev` (or `overlays/prod`): serving, configuration, storage, monitoring',
    `- \`kubectl apply -k jobs\`: one training run (${jobFiles.join(', ')}), resumed in order`,
    '- `components/`: VerticalPodAutoscaler, ServiceMonitor, requests/s autoscaling (need CRDs or an adapter)',
    '',
  ].join('\n');
}
