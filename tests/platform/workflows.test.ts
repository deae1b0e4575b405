/**
 * The GitHub Actions workflows and the local data action: they parse, have the expected triggers, jobs and steps,
 * and everything their scripts call exists (CLI commands and options, npm scripts, files, Dockerfiles, the
 * entry point's modes, step outputs and inputs they reference).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { backboneSha256, repoRoot } from '../helpers/paths.ts';
import { checkInvocation } from './support/cli-surface.ts';
import { resolveEntrypoint } from './support/entrypoint.ts';
import { cliArgs, entrypointArgs, npmScript, shellCommands, splitAssignments } from './support/shell-words.ts';

type Step = { id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; shell?: string; if?: string };
type Job = { 'runs-on': string; steps: Step[]; 'timeout-minutes'?: number };
type Workflow = { name: string; on: Record<string, any>; jobs: Record<string, Job>; permissions?: unknown };

const read = (rel: string) => parse(fs.readFileSync(path.join(repoRoot, rel), 'utf8'), { uniqueKeys: true, strict: true });
const ci = read('.github/workflows/ci.yml') as Workflow;
const ml = read('.github/workflows/ml_pipeline.yml') as Workflow;
const dataAction = read('.github/actions/food101-data/action.yml') as { inputs: Record<string, unknown>; outputs: Record<string, any>; runs: { using: string; steps: Step[] } };
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

const allSteps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
/** A run script with `${{ ... }}` expressions replaced by a plain word. */
const script = (s: Step) => (s.run ?? '').replace(/\$\{\{[^}]*\}\}/g, 'EXPR');

/** Checks every command of a run script: CLI invocations, the entry point, npm scripts, files handed to bash/docker. */
function checkScript(where: string, step: Step): void {
  for (const words0 of shellCommands(script(step))) {
    // A word that is only `$VAR`/`${VAR}` of the step's env holds an expression: take its empty case.
    const words = words0.filter((w) => !/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.test(w) || !(w.replace(/[${}]/g, '') in (step.env ?? {})));
    const cli = cliArgs(words);
    if (cli) assert.deepEqual(checkInvocation(cli), [], `${where}: ${words.join(' ')}`);
    const ep = entrypointArgs(words);
    if (ep) {
      const r = resolveEntrypoint(ep);
      assert.equal(r.code, 0, `${where}: entrypoint.sh ${ep.join(' ')}: ${r.stderr}`);
      assert.ok(r.cli, `${where}: entrypoint.sh ${ep.join(' ')} does not run the CLI`);
      assert.deepEqual(checkInvocation(r.cli), [], `${where}: entrypoint.sh ${ep.join(' ')}`);
    }
    const npm = npmScript(words);
    if (npm) assert.ok(pkg.scripts[npm], `${where}: npm run ${npm}: no such script in package.json`);
    const rest = splitAssignments(words).rest;
    if (rest[0] === 'bash' && rest[1] && !rest[1].startsWith('-')) assert.ok(fs.existsSync(path.join(repoRoot, rest[1])), `${where}: bash ${rest[1]}: no such file`);
    if (rest[0] === 'docker' && rest[1] === 'build') {
      const f = rest[rest.indexOf('-f') + 1];
      assert.ok(rest.includes('-f') && fs.existsSync(path.join(repoRoot, f)), `${where}: docker build -f ${f}: no such Dockerfile`);
    }
  }
}

function checkSteps(where: string, steps: Step[], opts: { composite?: boolean; inputs?: string[] } = {}): void {
  assert.ok(Array.isArray(steps) && steps.length > 0, `${where}: no steps`);
  const ids = new Set<string>();
  steps.forEach((s, i) => {
    const at = `${where} step ${i + 1} (${s.name ?? s.uses ?? 'run'})`;
    assert.ok(!!s.uses !== !!s.run, `${at}: a step has exactly one of uses/run`);
    if (s.uses?.startsWith('./')) {
      assert.ok(fs.existsSync(path.join(repoRoot, s.uses, 'action.yml')), `${at}: ${s.uses}/action.yml does not exist`);
    } else if (s.uses) assert.match(s.uses, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[\w.-]+$/, `${at}: uses must be owner/repo@version`);
    if (s.run) {
      if (opts.composite) assert.ok(s.shell, `${at}: composite run steps need shell:`);
      checkScript(at, s);
    }
    const text = JSON.stringify(s);
    for (const m of text.matchAll(/steps\.([\w-]+)\.outputs/g)) assert.ok(ids.has(m[1]), `${at}: refers to steps.${m[1]}, which is not an earlier step id`);
    for (const m of text.matchAll(/inputs\.([\w-]+)/g)) assert.ok(opts.inputs?.includes(m[1]), `${at}: refers to inputs.${m[1]}, which is not declared`);
    if (s.id) ids.add(s.id);
  });
}

test('workflows: triggers, permissions, jobs with runs-on, timeouts and valid steps', () => {
  for (const [file, w] of [['ci.yml', ci], ['ml_pipeline.yml', ml]] as const) {
    assert.ok(w.name, `${file}: name`);
    assert.ok(w.on && typeof w.on === 'object' && !('true' in w), `${file}: on: must be a mapping of triggers`);
    assert.deepEqual(w.permissions, { contents: 'read' }, `${file}: least privilege`);
    for (const [id, job] of Object.entries(w.jobs)) {
      assert.match(job['runs-on'], /^ubuntu-/, `${file} ${id}: runs-on`);
      assert.ok(job['timeout-minutes'] && job['timeout-minutes'] <= 90, `${file} ${id}: timeout-minutes`);
      const inputs = Object.keys(w.on.workflow_dispatch?.inputs ?? {});
      checkSteps(`${file} ${id}`, job.steps, { inputs });
    }
  }
});

test('ci.yml: checkout, Node 20 with the npm cache, then the same command as CI (bash .ci/run)', () => {
  assert.ok('push' in ci.on && 'pull_request' in ci.on);
  const steps = allSteps(ci);
  assert.ok(steps.some((s) => s.uses?.startsWith('actions/checkout@')));
  const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
  assert.equal(String(node?.with?.['node-version']), '20');
  assert.equal(node?.with?.cache, 'npm');
  const last = steps.at(-1)!;
  assert.equal(last.run?.trim(), 'bash .ci/run');
  assert.ok(fs.existsSync(path.join(repoRoot, '.ci', 'run')));
});

test('ml_pipeline.yml: dispatch and push to main; data, train, registry, image, smoke test of /predict, artifact', () => {
  assert.ok('workflow_dispatch' in ml.on);
  assert.ok(ml.on.push.branches.includes('main'));
  const steps = allSteps(ml);
  const runs = steps.map(script).join('\n');
  const ids = steps.map((s) => s.uses ?? '');
  assert.ok(ids.includes('./.github/actions/food101-data'), 'gets the data set and backbone');
  const commands = shellCommands(runs);
  const cli = commands.map(cliArgs).filter(Boolean) as string[][];
  const ep = commands.map(entrypointArgs).filter(Boolean) as string[][];
  assert.ok(ep.some((a) => a[0] === 'train') || cli.some((a) => a[0] === 'run'), 'runs the pipeline');
  assert.ok(cli.some((a) => a[0] === 'registry' && a[1] === 'list'), 'lists the registry');
  assert.ok(commands.some((c) => c[0] === 'docker' && c[1] === 'build' && c.includes('platform/docker/Dockerfile.serve')), 'builds the serving image');
  assert.ok(commands.some((c) => c[0] === 'docker' && c[1] === 'run'), 'starts it');
  assert.ok(commands.some((c) => c[0] === 'curl' && c.some((w) => w.startsWith('file=@')) && c.some((w) => w.includes('/predict'))), 'posts a photo to /predict');
  assert.ok(/FOOD101_DIR\/images\//.test(runs), 'the photo is a Food-101 photo from the data set');
  assert.ok(steps.some((s) => s.uses?.startsWith('actions/upload-artifact@') && String(s.with?.path).includes('experiments/registry')), 'uploads the model');
});

test('data action: composite, declared inputs/outputs, cached on the manifest, sha256 of the backbone pinned', () => {
  assert.equal(dataAction.runs.using, 'composite');
  checkSteps('food101-data', dataAction.runs.steps, { composite: true, inputs: Object.keys(dataAction.inputs) });
  for (const [name, out] of Object.entries(dataAction.outputs)) {
    const m = /steps\.([\w-]+)\.outputs\.([\w-]+)/.exec(out.value);
    assert.ok(m && dataAction.runs.steps.some((s) => s.id === m[1]), `output ${name} comes from a step`);
  }
  const cache = dataAction.runs.steps.find((s) => s.uses?.startsWith('actions/cache@'));
  assert.ok(cache && String(cache.with?.key).includes('platform/ci/food101-mini.manifest'), 'the cache key changes with the manifest');
  const fetcher = fs.readFileSync(path.join(repoRoot, 'platform', 'ci', 'food101-mini.sh'), 'utf8');
  assert.ok(fetcher.includes(`BACKBONE_SHA256=${backboneSha256}`), 'the download is checked against the sha256 the tests use');
});

test('workflows validate against the GitHub Actions schema (@action-validator/core, when installed)', async (t) => {
  const specifier: string = '@action-validator/core';
  let validator: { validateWorkflow(src: string): { errors: unknown[] }; validateAction(src: string): { errors: unknown[] } };
  try {
    validator = await import(specifier);
  } catch {
    t.skip('@action-validator/core is not installed (a devDependency the lead may add); the structural checks above still ran');
    return;
  }
  for (const f of ['.github/workflows/ci.yml', '.github/workflows/ml_pipeline.yml']) {
    assert.deepEqual(validator.validateWorkflow(fs.readFileSync(path.join(repoRoot, f), 'utf8')).errors, [], f);
  }
  assert.deepEqual(validator.validateAction(fs.readFileSync(path.join(repoRoot, '.github/actions/food101-data/action.yml'), 'utf8')).errors, []);
});
