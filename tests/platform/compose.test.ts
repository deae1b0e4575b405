/**
 * Static checks of the compose files (no Docker engine here): structure, build contexts and Dockerfiles that exist,
 * volumes, the inference healthcheck and start order, variables documented in .env.example, the GPU override, and
 * each service's command resolved through the entry point to a real CLI command.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/paths.ts';
import { checkInvocation } from './support/cli-surface.ts';
import { argDefaults, parseDockerfile, stages } from './support/dockerfile.ts';
import { resolveEntrypoint } from './support/entrypoint.ts';

const infra = path.join(repoRoot, 'platform', 'infrastructure');
type Service = Record<string, any>;
type Compose = { name?: string; services: Record<string, Service>; volumes?: Record<string, unknown> };

function load(file: string): Compose {
  const text = fs.readFileSync(path.join(infra, file), 'utf8');
  return parse(text, { uniqueKeys: true, strict: true }) as Compose;
}
const main = load('docker-compose.yml');
const gpu = load('docker-compose.gpu.yml');

/** `.env.example` as compose reads it: NAME=value lines. */
const envExample: Record<string, string> = Object.fromEntries(
  fs
    .readFileSync(path.join(infra, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** Every string value in a parsed document. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out));
  return out;
}
const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;
/** Compose interpolation with the given variables (`${X}`, `${X:-default}`, `${X:?error}`). */
const interpolate = (s: string, vars: Record<string, string>) => s.replace(VAR, (_, name: string, op?: string, arg?: string) => vars[name] || (op?.endsWith('-') ? (arg ?? '') : ''));

test('both files parse and have the expected services', () => {
  assert.deepEqual(Object.keys(main.services).sort(), ['base', 'dev', 'inference', 'train']);
  for (const name of Object.keys(gpu.services)) assert.ok(main.services[name], `the GPU override names service ${name}, which docker-compose.yml does not define`);
});

test('each build has the repository as context, an existing Dockerfile, declared build args, and food101-base wired', () => {
  for (const [name, svc] of Object.entries(main.services)) {
    assert.ok(svc.build, `${name} is built from this repository`);
    assert.equal(path.resolve(infra, svc.build.context), repoRoot, `${name}: build context must be the repository root`);
    const dockerfile = path.join(repoRoot, svc.build.dockerfile);
    assert.ok(fs.existsSync(dockerfile), `${name}: ${svc.build.dockerfile} does not exist`);
    const list = parseDockerfile(dockerfile);
    const declared = argDefaults(list);
    for (const svcArgs of [svc.build.args, gpu.services[name]?.build?.args]) {
      for (const arg of Object.keys(svcArgs ?? {})) assert.ok(arg in declared, `${name}: build arg ${arg} is not an ARG of ${svc.build.dockerfile}`);
    }
    if (stages(list).some((s) => s.from === 'food101-base')) {
      assert.equal(svc.build.additional_contexts?.['food101-base'], 'service:base', `${name}: FROM food101-base needs additional_contexts food101-base: service:base (build order)`);
    }
  }
  assert.match(main.services.base.image, /^food101-base:/);
});

test('volumes: data read-only, experiments/outputs for train, experiments for inference, the checkout for dev', () => {
  const mounts = (svc: Service) =>
    (svc.volumes as string[]).map((v) => {
      const [source, target, mode] = interpolate(v, envExample).split(':');
      return { source, target, mode };
    });
  const train = mounts(main.services.train);
  assert.ok(main.services.train.volumes.some((v: string) => v.startsWith('${DATA_DIR')), 'the data folder comes from DATA_DIR');
  assert.equal(train.find((m) => m.target === '/data/food101')?.mode, 'ro');
  for (const target of ['/app/experiments', '/app/outputs', '/app/data', '/models']) assert.ok(train.some((m) => m.target === target), `train mounts ${target}`);
  assert.equal(main.services.train.environment.FOOD101_DIR, '/data/food101');
  assert.ok(mounts(main.services.inference).some((m) => m.target === '/app/experiments'), 'inference mounts the registry (experiments)');
  const dev = mounts(main.services.dev);
  assert.equal(path.resolve(infra, dev.find((m) => m.target === '/app')!.source), repoRoot, 'dev mounts the checkout at /app');
  const nm = dev.find((m) => m.target === '/app/node_modules');
  assert.ok(nm && main.volumes && nm.source in main.volumes, 'dev keeps node_modules in a named volume declared under volumes:');
});

test('inference: healthcheck on /health with node, waits for train, publishes INFERENCE_PORT, stops on SIGTERM', () => {
  const inf = main.services.inference;
  const hc = inf.healthcheck;
  assert.ok(Array.isArray(hc.test) && hc.test[0] === 'CMD' && hc.test[1] === 'node', 'healthcheck runs node (no curl in slim images)');
  const port = inf.environment.PORT;
  assert.ok(hc.test.join(' ').includes(`127.0.0.1:${port}/health`), `healthcheck asks /health on the PORT (${port})`);
  for (const k of ['interval', 'timeout', 'retries', 'start_period']) assert.ok(hc[k] !== undefined, `healthcheck.${k}`);
  assert.deepEqual(inf.depends_on, { train: { condition: 'service_completed_successfully' } });
  assert.ok(inf.ports.some((p: string) => p.startsWith('${INFERENCE_PORT') && p.endsWith(`:${port}`)), 'INFERENCE_PORT maps to the container PORT');
  assert.equal(inf.stop_signal, 'SIGTERM');
});

test('every variable the compose files read is in .env.example, and .env.example holds no stray ones', () => {
  const used = new Set([...strings(main), ...strings(gpu)].flatMap((s) => [...s.matchAll(VAR)].map((m) => m[1])));
  for (const v of used) assert.ok(v in envExample, `\${${v}} is used but not in .env.example`);
  for (const v of Object.keys(envExample)) assert.ok(used.has(v), `.env.example sets ${v}, which no compose file reads`);
  assert.ok('DATA_DIR' in envExample && 'INFERENCE_PORT' in envExample);
});

test('GPU override: device reservations for train and inference, and gpu builds', () => {
  for (const name of ['train', 'inference']) {
    const devices = gpu.services[name]?.deploy?.resources?.reservations?.devices;
    assert.ok(Array.isArray(devices) && devices.some((d: any) => d.driver === 'nvidia' && d.capabilities?.includes('gpu')), `${name} reserves an NVIDIA GPU`);
  }
  assert.equal(gpu.services.base.build.args.ACCELERATOR, 'gpu', 'the base image (tfjs-node-gpu, onnxruntime CUDA EP) is built for gpu');
  assert.equal(gpu.services.inference.build.args.ACCELERATOR, 'gpu', 'the serving image is built for gpu');
});

for (const name of ['train', 'inference', 'dev'] as const) {
  test(`${name}: its command, through the entry point, is a real command`, () => {
    const svc = main.services[name];
    const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), envExample)]));
    const r = resolveEntrypoint(svc.command, env);
    assert.equal(r.code, 0, r.stderr);
    if (name === 'dev') assert.deepEqual(r.argv, ['bash']);
    else {
      assert.ok(r.cli, `${svc.command.join(' ')} does not run the CLI: ${r.argv.join(' ')}`);
      assert.deepEqual(checkInvocation(r.cli), []);
    }
  });
}
