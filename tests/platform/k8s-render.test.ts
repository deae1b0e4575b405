/**
 * `pipeline k8s render`: the manifests it writes for pipelines/food101.yaml validate against the Kubernetes
 * v1.33.0 OpenAPI schemas (kubernetes-models), pass the policy checks, form a kustomize tree whose references and
 * patches resolve (structurally always; built by `kubectl kustomize` where kubectl is installed), and say what
 * the pipeline says: the pods' pipeline file loads to the same configuration, the Indexed Job runs the shards.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadPipeline } from '../../runner/config/load.ts';
import { registry } from '../../steps/index.ts';
import { repoRoot } from '../helpers/paths.ts';
import { checkInvocation } from './support/cli-surface.ts';
import { resolveEntrypoint } from './support/entrypoint.ts';
import { podSpecOf, policyProblems } from './support/k8s-policy.ts';
import { schemaProblems } from './support/k8s-schema.ts';
import { checkKustomization } from './support/kustomize-check.ts';

type Plain = Record<string, any>;
const pipelineFile = path.join(repoRoot, 'pipelines', 'food101.yaml');
const SECRET_URL = 'postgres://food101:s3cr3t-pw@db.internal:5432/food101';
let tmp: string;
let out: string;

function render(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'pipeline.js'), 'k8s', 'render', pipelineFile, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
}

function objectsIn(dir: string): { file: string; obj: Plain }[] {
  const found: { file: string; obj: Plain }[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.yaml') || ['kustomization.yaml', 'patches.yaml', 'prometheus-adapter-rules.yaml'].includes(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    for (const d of parseAllDocuments(fs.readFileSync(file, 'utf8'))) found.push({ file: path.relative(dir, file), obj: d.toJS() as Plain });
  }
  return found;
}

const byKindName = (objs: { obj: Plain }[], kind: string, name: string) => objs.map((o) => o.obj).find((o) => o.kind === kind && o.metadata.name === name);

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-render-'));
  out = path.join(tmp, 'k8s');
  // A store URL with a password in the environment where render runs must not reach any manifest.
  const r = render(['--out', out, '--image', 'ghcr.io/acme/food101-train:abc1234', '--shards', '4'], { MLOPS_STORE_URL: SECRET_URL, AWS_SECRET_ACCESS_KEY: 'aws-s3cr3t' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every rendered object validates against the Kubernetes v1.33.0 schemas and the CRDs it uses', async () => {
  const objs = objectsIn(out);
  assert.ok(objs.length >= 20, `only ${objs.length} objects`);
  const problems = (await Promise.all(objs.map(async ({ file, obj }) => (await schemaProblems(obj)).map((p) => `${file}: ${p}`)))).flat();
  assert.deepEqual(problems, []);
  const kinds = new Set(objs.map((o) => o.obj.kind));
  for (const k of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'VerticalPodAutoscaler', 'PodDisruptionBudget', 'ConfigMap', 'Job', 'CronJob', 'ServiceMonitor', 'StatefulSet', 'PersistentVolumeClaim', 'Namespace']) assert.ok(kinds.has(k), `no ${k}`);
});

test('the schema check rejects what a cluster would reject', async () => {
  const deployment = structuredClone(byKindName(objectsIn(out), 'Deployment', 'food101-serve')!);
  deployment.spec.template.spec.containers[0].resources.limits.cpu = 'two cores';
  deployment.spec.replicas = '3';
  const problems = await schemaProblems(deployment);
  assert.match(problems.join('\n'), /limits\/cpu/);
  assert.match(problems.join('\n'), /replicas/);
  assert.match((await schemaProblems({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })).join(), /no kind Deploymnet/);
});

test('policy: pinned images, non-root, read-only root fs, no capabilities, limits, probes, secrets by reference only', () => {
  const objs = objectsIn(out);
  assert.deepEqual(objs.flatMap(({ file, obj }) => policyProblems(obj).map((p) => `${file}: ${p}`)), []);
  for (const { file } of objs) {
    const text = fs.readFileSync(path.join(out, file), 'utf8');
    assert.ok(!text.includes('s3cr3t'), `${file} contains a secret from the render-time environment`);
  }
  const refs = objs.flatMap(({ obj }) => (podSpecOf(obj)?.containers ?? []).flatMap((c: Plain) => (c.env ?? []).map((e: Plain) => e.valueFrom?.secretKeyRef?.name).filter(Boolean)));
  assert.ok(refs.length > 0 && refs.every((n: string) => n === 'food101-store'), 'every secret comes from the food101-store Secret');
  // The checks can fail: a pod that breaks each rule is reported for each.
  const bad = structuredClone(byKindName(objs, 'Deployment', 'food101-serve')!);
  const c = bad.spec.template.spec.containers[0];
  Object.assign(c, { image: 'food101-serve:latest', securityContext: {}, readinessProbe: undefined, resources: {} });
  c.env.push({ name: 'POSTGRES_PASSWORD', value: 'x' });
  const problems = policyProblems(bad).join('\n');
  for (const want of ['latest', 'root filesystem', 'capabilities', 'no cpu in resources.limits', 'no readinessProbe', 'POSTGRES_PASSWORD is not a secretKeyRef', 'allowPrivilegeEscalation']) assert.ok(problems.includes(want), `not reported: ${want}\n${problems}`);
});

test('serving: probes on /ready, /health and a startup probe; preStop and a grace period that covers it and the drain; sizes from BENCHMARKS.md', () => {
  const objs = objectsIn(out);
  const d = byKindName(objs, 'Deployment', 'food101-serve')!;
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.image, 'ghcr.io/acme/food101-serve:abc1234', 'the serving image follows --image');
  assert.equal(c.readinessProbe.httpGet.path, '/ready');
  assert.equal(c.livenessProbe.httpGet.path, '/health');
  assert.ok(c.startupProbe.httpGet);
  // From the serve stage's defaults: drain_delay_ms 5000 (the preStop, then again after SIGTERM), drain_timeout_ms 10000, 5 s flush.
  assert.deepEqual(c.lifecycle.preStop.exec.command, ['sleep', '5']);
  assert.equal(pod.terminationGracePeriodSeconds, 5 + 5 + 10 + 5, 'preStop + the server\'s drain delay + its drain timeout + the log flush');
  assert.deepEqual(c.resources, { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } });
  assert.deepEqual(pod.topologySpreadConstraints.map((t: Plain) => t.topologyKey), ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
  assert.ok(pod.volumes.some((v: Plain) => v.name === 'tmp' && v.emptyDir) && pod.volumes.some((v: Plain) => v.name === 'work' && v.emptyDir), 'writable paths are emptyDirs');
  const r = resolveEntrypoint(c.args, { HOST: '0.0.0.0', PORT: '8000', MODEL_NAME: 'food101', MODEL_ALIAS: 'champion' });
  assert.ok(r.cli, r.stderr);
  assert.deepEqual(checkInvocation(r.cli!), []);
  assert.deepEqual(r.cli!.slice(0, 1), ['serve']);
  const hpa = byKindName(objs, 'HorizontalPodAutoscaler', 'food101-serve')!;
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 70);
  assert.equal(byKindName(objs, 'VerticalPodAutoscaler', 'food101-serve')!.spec.updatePolicy.updateMode, 'Off');
  assert.equal(byKindName(objs, 'PodDisruptionBudget', 'food101-serve')!.spec.minAvailable, 1);
  assert.equal(d.spec.template.metadata.annotations['prometheus.io/scrape'], 'true');
});

test('training: prepare, an Indexed Job of N shards running --shard $(JOB_COMPLETION_INDEX)/N, then finalize; each command exists in the CLI', () => {
  const objs = objectsIn(out);
  const prepare = byKindName(objs, 'Job', 'food101-prepare')!;
  const train = byKindName(objs, 'Job', 'food101-train')!;
  const finalize = byKindName(objs, 'Job', 'food101-finalize')!;
  assert.equal(prepare.spec.suspend, false);
  assert.equal(train.spec.suspend, true);
  assert.equal(finalize.spec.suspend, true);
  assert.equal(train.spec.completionMode, 'Indexed');
  assert.equal(train.spec.completions, 4);
  assert.equal(train.spec.parallelism, 4);
  const shard = train.spec.template.spec.containers[0];
  assert.deepEqual(shard.args.slice(-4), ['--only', 'train', '--shard', '$(JOB_COMPLETION_INDEX)/4']);
  assert.ok(shard.env.some((e: Plain) => e.name === 'JOB_COMPLETION_INDEX' && e.valueFrom.fieldRef.fieldPath.includes('job-completion-index')), 'the index is declared, so $(...) expands');
  assert.equal(train.spec.template.spec.initContainers[0].name, 'seed-workdir');
  assert.ok(!JSON.stringify(objs.map((o) => o.obj)).includes('nvidia.com/gpu'), 'no GPU without --gpu-image');
  for (const [job, expect] of [[prepare, ['--until', 'grid']], [finalize, ['--from', 'train', '--until', 'register']]] as const) {
    assert.deepEqual(job.spec.template.spec.containers[0].args.slice(2), expect);
  }
  for (const job of [prepare, train, finalize]) {
    const args = job.spec.template.spec.containers[0].args.map((a: string) => a.replace('$(JOB_COMPLETION_INDEX)', '2'));
    const r = resolveEntrypoint(args);
    assert.ok(r.cli, r.stderr);
    assert.deepEqual(checkInvocation(r.cli!), [], job.metadata.name);
  }
  const cron = byKindName(objs, 'CronJob', 'food101-monitor')!;
  assert.equal(cron.spec.jobTemplate.spec.template.spec.containers[0].args[0], 'monitor', 'pipeline monitor (lands with issue 12)');
});

test('the pods\' pipeline file loads to the same configuration as the source, with ${} references resolved in the pod', async () => {
  const cm = byKindName(objectsIn(out), 'ConfigMap', 'food101-pipeline')!;
  const text: string = cm.data['food101.yaml'];
  assert.ok(text.includes('${FOOD101_DIR'), 'references are kept');
  const podFile = path.join(tmp, 'pod', 'food101.yaml');
  fs.mkdirSync(path.dirname(podFile), { recursive: true });
  fs.writeFileSync(podFile, text);
  const env = { FOOD101_DIR: '/data/food101', BACKBONE_ONNX: '/work/models/b.onnx', PORT: '8000' };
  const inPod = await loadPipeline(podFile, registry, { env });
  const source = await loadPipeline(pipelineFile, registry, { env });
  const strip = (c: { resolved: unknown }) => ({ ...(c.resolved as Plain), workdir: undefined });
  assert.deepEqual(strip(inPod), strip(source));
  assert.equal(inPod.workdir, '/work');
});

test('--gpu-image: shard pods use it and request resources.gpu nvidia.com/gpu; options are checked', () => {
  const gpuOut = path.join(tmp, 'gpu');
  const r = render(['--out', gpuOut, '--gpu-image', 'ghcr.io/acme/food101-train-gpu:abc1234']);
  assert.equal(r.status, 0, r.stderr);
  const train = byKindName(objectsIn(gpuOut), 'Job', 'food101-train')!;
  const c = train.spec.template.spec.containers[0];
  assert.equal(c.image, 'ghcr.io/acme/food101-train-gpu:abc1234');
  assert.equal(c.resources.limits['nvidia.com/gpu'], '1', 'resources.gpu: 1 in pipelines/food101.yaml');
  assert.ok(train.spec.template.spec.tolerations.some((t: Plain) => t.key === 'nvidia.com/gpu'));
  for (const [args, message] of [
    [['--image', 'food101-train:latest'], /latest/],
    [['--image', 'food101-train'], /give a tag or digest/],
    [['--namespace', 'Food_101'], /DNS label/],
    [['--shards', '0'], /whole number/],
  ] as const) {
    const bad = render(['--out', path.join(tmp, 'bad'), ...args]);
    assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
    assert.match(bad.stderr, message);
  }
  fs.mkdirSync(path.join(tmp, 'mine'));
  fs.writeFileSync(path.join(tmp, 'mine', 'notes.txt'), 'keep me');
  const refused = render(['--out', path.join(tmp, 'mine')]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /was not written by/);
  assert.equal(fs.readFileSync(path.join(tmp, 'mine', 'notes.txt'), 'utf8'), 'keep me');
});

test('kustomize structure: resources, components and patches resolve in base, jobs, both overlays and with every component', () => {
  // prod with its commented-out components switched on, as docs/deployment.md tells a user to do.
  const withAll = path.join(out, 'overlays', 'all-components');
  fs.cpSync(path.join(out, 'overlays', 'prod'), withAll, { recursive: true });
  const k = path.join(withAll, 'kustomization.yaml');
  const enabled = fs.readFileSync(k, 'utf8').replace(/^# (components:|  - \.\.\/\.\.\/components\/)/gm, '$1');
  assert.equal(enabled.match(/^  - \.\.\/\.\.\/components\//gm)?.length, 3, 'prod lists the three components, commented out');
  fs.writeFileSync(k, enabled);
  for (const dir of ['base', 'jobs', 'overlays/dev', 'overlays/prod', 'overlays/all-components']) {
    assert.deepEqual(checkKustomization(path.join(out, dir)).problems, [], dir);
  }
  // The check can fail: a patch of an object that does not exist, a missing resource file.
  const broken = path.join(tmp, 'broken');
  fs.cpSync(out, broken, { recursive: true });
  fs.appendFileSync(path.join(broken, 'overlays', 'dev', 'patches.yaml'), '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: food101-serv }\nspec: { replicas: 2 }\n');
  fs.rmSync(path.join(broken, 'base', 'service-food101-serve.yaml'));
  const problems = checkKustomization(path.join(broken, 'overlays', 'dev')).problems.join('\n');
  assert.match(problems, /Deployment\/food101-serv, which no resource defines/);
  assert.match(problems, /service-food101-serve.yaml does not exist/);
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
test('kubectl kustomize builds every overlay; the built objects validate and pass the policy checks', { skip: kubectl.status === 0 ? false : 'kubectl is not installed: the structural check above stands in' }, async () => {
  for (const dir of ['jobs', 'overlays/dev', 'overlays/prod', 'overlays/all-components']) {
    const r = spawnSync('kubectl', ['kustomize', path.join(out, dir)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${dir}: ${r.stderr}`);
    const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Plain);
    for (const o of objs) {
      assert.deepEqual([...(await schemaProblems(o)), ...policyProblems(o)], [], `${dir}: ${o.kind}/${o.metadata.name}`);
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'food101', `${dir}: ${o.kind}/${o.metadata.name} has the namespace`);
    }
    if (dir === 'overlays/dev') {
      const env = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'food101-env')!;
      assert.equal(env.data.AWS_ENDPOINT_URL, 'http://food101-object-store:9000');
      assert.ok(objs.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'food101-postgres'));
      assert.deepEqual(objs.find((o) => o.kind === 'PodDisruptionBudget')!.spec.maxUnavailable, 1);
    }
    if (dir === 'overlays/all-components') {
      const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
      assert.deepEqual(hpa.spec.metrics.map((m: Plain) => m.type), ['Resource', 'Pods']);
      assert.equal(hpa.spec.minReplicas, 3);
    }
  }
});
