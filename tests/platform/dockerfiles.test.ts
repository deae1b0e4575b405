/**
 * Static checks of the images (no Docker engine runs here, so they are never built in this repository's CI):
 * known instructions, every COPY'd file exists and is in the build context, base images and stages resolve, the
 * serving image is non-root with a node-based HEALTHCHECK, and each image's default command is a real CLI command.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths.ts';
import { checkInvocation } from './support/cli-surface.ts';
import { argDefaults, copySpec, execForm, KNOWN_INSTRUCTIONS, parseDockerfile, stages, type Instruction } from './support/dockerfile.ts';
import { ignored, readDockerignore } from './support/dockerignore.ts';
import { resolveEntrypoint } from './support/entrypoint.ts';
import { npmScript, shellCommands } from './support/shell-words.ts';

const dir = path.join(repoRoot, 'platform', 'docker');
const names = ['Dockerfile.base', 'Dockerfile.train', 'Dockerfile.serve', 'Dockerfile.dev'] as const;
const files = Object.fromEntries(names.map((n) => [n, parseDockerfile(path.join(dir, n))])) as Record<(typeof names)[number], Instruction[]>;
const rules = readDockerignore(path.join(repoRoot, '.dockerignore'));
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** Image names the Dockerfiles build on top of; produced by Dockerfile.base (compose: additional_contexts). */
const LOCAL_IMAGES = new Set(['food101-base']);

const all = (n: (typeof names)[number], name: string) => files[n].filter((i) => i.name === name);
/** Instructions of the last stage (what the image is). */
function finalStage(list: readonly Instruction[]): Instruction[] {
  const lastFrom = list.map((i) => i.name).lastIndexOf('FROM');
  return list.slice(lastFrom);
}
/** `KEY=value` pairs of the ENV instructions of a stage. */
function envOf(list: readonly Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of list.filter((x) => x.name === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

for (const name of names) {
  describe(name, () => {
    const list = files[name];

    test('uses only known instructions, and starts with ARG/FROM', () => {
      for (const i of list) assert.ok(KNOWN_INSTRUCTIONS.has(i.name), `${name}:${i.line}: unknown instruction ${i.name}`);
      assert.ok(list.length > 0);
      const first = list.find((i) => i.name !== 'ARG');
      assert.equal(first?.name, 'FROM', `${name}: the first instruction after ARGs must be FROM`);
    });

    test('every FROM is an earlier stage, a pinned image, or food101-base', () => {
      const defaults = argDefaults(list);
      const known = new Set<string>();
      for (const s of stages(list)) {
        const variants = /\$\{?ACCELERATOR\}?/.test(s.from) ? ['cpu', 'gpu'].map((a) => s.from.replace(/\$\{?ACCELERATOR\}?/, a)) : [s.from];
        for (let from of variants) {
          from = from.replace(/\$\{?([A-Za-z_]+)\}?/g, (_, v: string) => defaults[v] ?? `<unset ${v}>`);
          assert.ok(!from.includes('<unset'), `${name}:${s.line}: FROM ${s.from} uses an ARG without default`);
          const ok = known.has(from) || LOCAL_IMAGES.has(from) || (/^[\w./-]+:[\w.-]+$/.test(from) && !from.endsWith(':latest'));
          assert.ok(ok, `${name}:${s.line}: FROM ${from} is neither an earlier stage, food101-base, nor an image with a pinned tag`);
        }
        if (s.name) known.add(s.name);
      }
    });

    test('COPY sources exist in the repository, are in the build context, and --from names a stage', () => {
      const stageNames = new Set(stages(list).map((s) => s.name).filter(Boolean));
      for (const i of list.filter((x) => x.name === 'COPY' || x.name === 'ADD')) {
        assert.equal(i.name, 'COPY', `${name}:${i.line}: use COPY, not ADD`);
        const spec = copySpec(i.args);
        assert.ok(spec.sources.length > 0 && spec.dest, `${name}:${i.line}: COPY needs a source and a destination`);
        if (spec.from) {
          assert.ok(stageNames.has(spec.from) || LOCAL_IMAGES.has(spec.from), `${name}:${i.line}: COPY --from=${spec.from} is not a stage of this file`);
          continue;
        }
        for (const src of spec.sources) {
          const rel = src.replace(/^\.\//, '').replace(/\/$/, '');
          assert.ok(fs.existsSync(path.join(repoRoot, rel)), `${name}:${i.line}: COPY ${src}: no such file in the repository`);
          assert.ok(!ignored(rules, rel), `${name}:${i.line}: COPY ${src}: .dockerignore leaves it out of the build context`);
        }
      }
    });

    test('npm scripts and scripts run by RUN exist', () => {
      for (const i of all(name, 'RUN')) {
        for (const words of shellCommands(i.args.replace(/^--mount=\S+\s+/, ''))) {
          const script = npmScript(words);
          if (script) assert.ok(pkg.scripts[script], `${name}:${i.line}: npm run ${script}: no such script in package.json`);
          const at = words.findIndex((w) => w.endsWith('.sh'));
          if (words[0] === 'bash' && at === 1) assert.ok(fs.existsSync(path.join(repoRoot, words[1])), `${name}:${i.line}: bash ${words[1]}: no such file`);
        }
      }
    });
  });
}

test('base: Node 20 bookworm-slim, the better-sqlite3 toolchain, and npm ci cached on the manifests alone', () => {
  const list = files['Dockerfile.base'];
  assert.equal(argDefaults(list).NODE_IMAGE, 'node:20-bookworm-slim');
  const runs = list.filter((i) => i.name === 'RUN');
  const install = runs.find((i) => /\bapt-get install\b/.test(i.args) && /\bg\+\+/.test(i.args));
  for (const p of ['python3', 'make', 'g++']) assert.ok(install && new RegExp(`(^|\\s)${p.replace(/\+/g, '\\+')}(\\s|$)`).test(install.args), `base must apt-get install ${p}`);
  const ci = list.findIndex((i) => i.name === 'RUN' && /\bnpm ci\b/.test(i.args));
  assert.ok(ci >= 0 && /--omit=dev/.test(list[ci].args), 'base runs npm ci --omit=dev');
  const copiedBefore = list.slice(0, ci).filter((i) => i.name === 'COPY').flatMap((i) => copySpec(i.args).sources);
  for (const f of ['package.json', 'package-lock.json']) assert.ok(copiedBefore.includes(f), `${f} must be copied before npm ci`);
  assert.match(list[ci].args, /ONNXRUNTIME_NODE_INSTALL=skip npm ci/, "npm ci skips onnxruntime-node's CUDA download whatever the image's npm version");
  assert.ok(!copiedBefore.some((s) => /^(bin|runner|steps|ml|stores|server|pipelines)\b/.test(s)), 'no source may be copied before npm ci (it would void the cache)');
});

test('serve: multi-stage, pruned, non-root, HEALTHCHECK via node fetch, PORT/EXPOSE, SIGTERM, exec-form command', () => {
  const list = files['Dockerfile.serve'];
  const last = finalStage(list);
  assert.ok(stages(list).length >= 2, 'serve is a multi-stage build');
  assert.ok(list.some((i) => i.name === 'RUN' && /npm prune --omit=dev/.test(i.args)), 'serve prunes dev dependencies');
  assert.ok(last.some((i) => i.name === 'COPY' && copySpec(i.args).from && copySpec(i.args).sources.includes('/app/node_modules')), 'the final stage takes node_modules from a build stage');
  assert.ok(!last.some((i) => i.name === 'RUN' && /apt-get install[^&]*\b(g\+\+|make|python3)\b/.test(i.args)), 'no compiler toolchain in the serving stage');
  const user = last.filter((i) => i.name === 'USER').at(-1)?.args.trim();
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `serve must run as a non-root USER, found ${user ?? 'none'}`);
  const hc = last.find((i) => i.name === 'HEALTHCHECK');
  assert.ok(hc, 'serve has a HEALTHCHECK');
  const hcCmd = execForm(hc.args.replace(/^(--\S+\s+)*CMD\s+/, ''));
  assert.ok(hcCmd && hcCmd[0] === 'node' && /fetch\(/.test(hcCmd.join(' ')) && /\/health/.test(hcCmd.join(' ')), 'HEALTHCHECK uses node fetch on /health (no curl in slim images)');
  const env = envOf(last);
  assert.ok(env.PORT, 'serve sets ENV PORT');
  assert.ok(last.some((i) => i.name === 'EXPOSE' && i.args.split(/\s+/).includes(env.PORT)), `EXPOSE ${env.PORT} (the PORT)`);
  assert.equal(last.find((i) => i.name === 'STOPSIGNAL')?.args.trim(), 'SIGTERM');
  for (const n of ['ENTRYPOINT', 'CMD']) {
    const i = last.filter((x) => x.name === n).at(-1);
    assert.ok(i && execForm(i.args), `${n} must be in exec form (a JSON array) so node gets SIGTERM`);
  }
  assert.deepEqual(argDefaults(list).CUDA_IMAGE, argDefaults(files['Dockerfile.base']).CUDA_IMAGE, 'base and serve use the same CUDA image');
  assert.deepEqual(argDefaults(list).NODE_IMAGE, argDefaults(files['Dockerfile.base']).NODE_IMAGE, 'base and serve use the same Node image');
});

test('train: non-root, data/experiments/outputs are volumes', () => {
  const last = finalStage(files['Dockerfile.train']);
  const user = last.filter((i) => i.name === 'USER').at(-1)?.args.trim();
  assert.ok(user && !/^(root|0)(:|$)/.test(user), 'train runs as a non-root user');
  const volumes = last.filter((i) => i.name === 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
  for (const v of ['/app/data', '/app/experiments', '/app/outputs']) assert.ok(volumes.includes(v), `train declares VOLUME ${v}`);
});

test('dev: all dependencies, dev mode by default', () => {
  const list = files['Dockerfile.dev'];
  assert.ok(list.some((i) => i.name === 'RUN' && /npm ci\b.*--include=dev/.test(i.args)), 'dev installs dev dependencies');
  assert.deepEqual(execForm(list.filter((i) => i.name === 'CMD').at(-1)!.args), ['dev']);
});

for (const name of ['Dockerfile.train', 'Dockerfile.serve'] as const) {
  test(`${name}: ENTRYPOINT + CMD run a command the CLI has`, () => {
    const last = finalStage(files[name]);
    const entry = execForm(last.filter((i) => i.name === 'ENTRYPOINT').at(-1)!.args)!;
    const cmd = execForm(last.filter((i) => i.name === 'CMD').at(-1)!.args)!;
    assert.equal(entry.at(-1), '/app/platform/docker/entrypoint.sh');
    const copied = last.filter((i) => i.name === 'COPY').map((i) => [i.args, copySpec(i.args)] as const);
    const script = copied.find(([, s]) => s.sources.includes('platform/docker/entrypoint.sh'));
    assert.ok(script && /--chmod=0?755/.test(script[0]) && script[1].dest === 'platform/docker/entrypoint.sh', 'the entry point is copied to /app/platform/docker/ and made executable');
    const env = { ...envOf(files['Dockerfile.base']), ...envOf(last) };
    delete env.APP_DIR; // /app in the image; the checkout here
    const r = resolveEntrypoint(cmd, env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.cli, `${cmd.join(' ')} does not run the pipeline CLI: ${r.argv.join(' ')}`);
    assert.deepEqual(checkInvocation(r.cli), []);
  });
}

test('.dockerignore keeps data, outputs, experiments, node_modules and .git out of the build context', () => {
  for (const p of ['data', 'data/processed/x.csv', 'outputs', 'experiments/mlops.db', 'node_modules', 'node_modules/sharp/package.json', 'ml/node_modules/x', '.git', '.git/HEAD']) {
    assert.ok(ignored(rules, p), `${p} should be ignored`);
  }
  for (const p of ['package.json', 'package-lock.json', 'runner/engine.ts', 'pipelines/food101.yaml', 'platform/docker/entrypoint.sh']) {
    assert.ok(!ignored(rules, p), `${p} must stay in the build context`);
  }
});

test("the serving image's HEALTHCHECK command exits 0 on a healthy /health and 1 otherwise", async (t) => {
  const hc = finalStage(files['Dockerfile.serve']).find((i) => i.name === 'HEALTHCHECK')!;
  const [node, ...args] = execForm(hc.args.replace(/^(--\S+\s+)*CMD\s+/, ''))!;
  assert.equal(node, 'node');
  let status = 200;
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += req.url === '/health' ? 1 : 0;
    res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = String((server.address() as AddressInfo).port);
  const run = (env: Record<string, string>) =>
    new Promise<number | null>((resolve) => spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' }).on('exit', resolve));
  assert.equal(await run({ PORT: port }), 0);
  status = 503;
  assert.equal(await run({ PORT: port }), 1);
  assert.equal(hits, 2, 'it asked /health on PORT');
  server.close();
  await new Promise((r) => server.once('close', r));
  assert.equal(await run({ PORT: port }), 1, 'a refused connection is unhealthy');
});
