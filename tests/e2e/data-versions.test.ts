/**
 * Data versioning through the real CLI: the split stage records each dataset version; after photos are added,
 * removed and moved to another class folder, `pipeline data diff` names exactly those, and `data list` /
 * `data show` read both versions back. On SQLite always, and on PostgreSQL (MLOPS_STORE_URL) when
 * MLOPS_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { miniDataDir } from '../helpers/paths.ts';
import { backends } from '../helpers/store-backends.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Shown {
  version: string;
  sourceRoot: string;
  subset: Record<string, unknown>;
  counts: { train: number; test: number; perClass: Record<string, { train: number; test: number }> };
  images?: { path: string; className: string; split: string; fold: number | null; sha256: string }[];
}

function json<T>(dir: string, args: string[], env: NodeJS.ProcessEnv): T {
  const r = runCli([...args, '--json', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

for (const backend of backends) test(`split records dataset versions; data list, show and diff read them back (${backend.name})`, { timeout: 180_000 }, async (t) => {
  const env = backend.name === 'postgres' ? { MLOPS_STORE_URL: await backend.url(t) } : {};
  const dir = tempDir(t, 'f101-data-');
  const photos = path.join(dir, 'photos');
  const pick = (c: string) => fs.readdirSync(path.join(miniDataDir, 'images', c)).sort().slice(0, 9);
  for (const c of ['pizza', 'sushi']) {
    fs.mkdirSync(path.join(photos, c), { recursive: true });
    for (const f of pick(c).slice(0, 8)) fs.copyFileSync(path.join(miniDataDir, 'images', c, f), path.join(photos, c, f));
  }
  fs.writeFileSync(
    path.join(dir, 'pipeline.yaml'),
    `name: data-versions
data: { root: photos, name: snaps, layout: folder, test_fraction: 0.25 }
backbone: { path: none.onnx, sha256: '${'0'.repeat(64)}', feature_node: { tensor: a, scale: b, zero_point: c } }
architectures: { linear: { family: head, layers: [] } }
stages:
  split: { step: split, with: { folds: 2 } }
`,
  );
  const split = () => {
    const r = runCli(['run', 'pipeline.yaml', '--until', 'split'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout + r.stderr;
  };
  assert.match(split(), /recorded dataset version snaps_2c_/);
  assert.equal(fs.existsSync(path.join(dir, 'experiments', 'mlops.db')), backend.name === 'sqlite', `the versions went to ${backend.name}`);
  const [first] = json<Shown[]>(dir, ['data', 'list'], env);
  assert.ok(first);
  const shown = json<Shown>(dir, ['data', 'show', first.version, '--images'], env);
  assert.equal(shown.sourceRoot, photos);
  assert.deepEqual(shown.subset, { classes: 'all', fraction: 1, seed: 42 });
  assert.equal(shown.counts.train + shown.counts.test, 16);
  assert.deepEqual(Object.keys(shown.counts.perClass), ['pizza', 'sushi']);
  assert.equal(shown.images!.length, 16);
  assert.ok(shown.images!.every((i) => (i.split === 'train' ? i.fold === 1 || i.fold === 2 : i.fold === null)), 'train images carry their fold');
  assert.equal(json<Shown>(dir, ['data', 'show', first.version.slice(-8)], env).version, first.version, 'found by its hash suffix');

  // A new photo, a photo gone, and a photo moved to the other class's folder.
  const [, , moved] = pick('pizza');
  fs.copyFileSync(path.join(miniDataDir, 'images', 'sushi', pick('sushi')[8]!), path.join(photos, 'sushi', 'new.jpg'));
  fs.rmSync(path.join(photos, 'sushi', pick('sushi')[0]!));
  fs.renameSync(path.join(photos, 'pizza', moved!), path.join(photos, 'sushi', moved!));
  split();
  const versions = json<Shown[]>(dir, ['data', 'list'], env);
  assert.equal(versions.length, 2);
  assert.equal(versions[1]!.version, first.version, 'newest first');
  const d = json<{ added: { path: string }[]; removed: { path: string }[]; relabelled: { path: string; fromPath: string; from: string; to: string }[]; unchanged: number }>(
    dir, ['data', 'diff', first.version, 'latest'], env,
  );
  assert.deepEqual(d.added.map((i) => i.path), ['sushi/new.jpg']);
  assert.deepEqual(d.removed.map((i) => i.path), [`sushi/${pick('sushi')[0]}`]);
  assert.deepEqual(d.relabelled.map((r) => [r.fromPath, r.path, r.from, r.to]), [[`pizza/${moved}`, `sushi/${moved}`, 'pizza', 'sushi']]);
  assert.equal(d.unchanged, 14);

  const text = runCli(['data', 'diff', first.version, 'latest', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /1 added, 1 removed, 1 relabelled, 14 unchanged/);
  assert.match(text.stdout, new RegExp(`~ sushi/${moved!.replace('.', '\\.')}  pizza -> sushi \\(was pizza/`));
  const missing = runCli(['data', 'show', 'no_such_version', '--pipeline', 'pipeline.yaml'], { cwd: dir, env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no dataset version 'no_such_version': see `pipeline data list`/);
});
