/**
 * What `pipeline k8s render` takes from the pipeline file: the Indexed Job's shard count (`stages.train.with.shards`,
 * overridden by --shards, validated with the file) and the serving pod's preStop and grace period (the serve stage's
 * drain_delay_ms and drain_timeout_ms).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import YAML, { parseAllDocuments } from 'yaml';
import { repoRoot } from '../helpers/paths.ts';
import { tempDir } from '../helpers/tmp.ts';

type Plain = Record<string, any>;

/** food101.yaml with `edits` (key path -> value), rendered to `<tmp>/k8s` with `args`. */
function render(t: TestContext, edits: [string[], unknown][], args: string[] = []) {
  const dir = tempDir(t, 'k8s-from-file-');
  const doc = YAML.parseDocument(fs.readFileSync(path.join(repoRoot, 'pipelines', 'food101.yaml'), 'utf8'));
  doc.set('workdir', repoRoot);
  for (const [keys, value] of edits) doc.setIn(keys, value);
  const file = path.join(dir, 'p.yaml');
  fs.writeFileSync(file, doc.toString());
  const out = path.join(dir, 'k8s');
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'pipeline.js'), 'k8s', 'render', file, '--out', out, ...args], { cwd: repoRoot, encoding: 'utf8' });
  const objects = (sub: string) =>
    r.status === 0 ? fs.readdirSync(path.join(out, sub)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, sub, f), 'utf8')).map((d) => d.toJS() as Plain)) : [];
  return { r, objects };
}

const trainJob = (objs: Plain[]) => objs.find((o) => o.kind === 'Job' && o.metadata.name.endsWith('-train'))!;

test('the Indexed Job has the file\'s shard count; --shards overrides it', (t) => {
  const fromFile = render(t, [[['stages', 'train', 'with', 'shards'], 2]]);
  assert.equal(fromFile.r.status, 0, fromFile.r.stderr);
  const job = trainJob(fromFile.objects('jobs'));
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.deepEqual([job.spec.completions, job.spec.parallelism], [2, 2]);
  assert.match(job.spec.template.spec.containers[0].args.join(' '), /--shard \$\(JOB_COMPLETION_INDEX\)\/2\b/);
  const flag = render(t, [[['stages', 'train', 'with', 'shards'], 2]], ['--shards', '5']);
  assert.equal(flag.r.status, 0, flag.r.stderr);
  assert.deepEqual([trainJob(flag.objects('jobs')).spec.completions, trainJob(flag.objects('jobs')).spec.parallelism], [5, 5]);
});

test('a shard count the schema refuses is reported with its key path, nothing rendered', (t) => {
  const bad = render(t, [[['stages', 'train', 'with', 'shards'], 0]]);
  assert.notEqual(bad.r.status, 0);
  assert.match(bad.r.stderr, /stages\.train\.with\.shards/);
  assert.match(bad.r.stderr, />= 1|minimum|at least 1/i);
});

test('preStop sleeps the drain delay; the grace period covers preStop, the delay again, the drain timeout and the flush', (t) => {
  const { r, objects } = render(t, [[['stages', 'serve', 'with', 'drain_delay_ms'], 8000], [['stages', 'serve', 'with', 'drain_timeout_ms'], 12_500]]);
  assert.equal(r.status, 0, r.stderr);
  const pod = objects('base').find((o) => o.kind === 'Deployment')!.spec.template.spec;
  assert.deepEqual(pod.containers[0].lifecycle.preStop.exec.command, ['sleep', '8']);
  assert.equal(pod.terminationGracePeriodSeconds, 8 + 8 + 13 + 5);
});
