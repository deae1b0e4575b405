/**
 * Data surprises are reported, not silent: a symlinked class folder is followed (and its photos are part of the
 * cache key); a symlink that loops back to the data root is refused by name; a class with fewer training images
 * than the folds need is refused with its count and what to do; a class left without test images is a warning.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { runCli } from '../../helpers/cli.ts';
import { tempDir } from '../../helpers/tmp.ts';

async function photos(dir: string, n: number, color: { r: number; g: number; b: number }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) await sharp({ create: { width: 40 + i, height: 30, channels: 3, background: color } }).jpeg().toFile(path.join(dir, `${i}.jpg`));
}

function pipeline(dir: string, dataRoot: string, folds = 3, extra = ''): void {
  fs.writeFileSync(path.join(dir, 'pipeline.yaml'), `name: surprises\ndata:\n  root: ${JSON.stringify(dataRoot)}\n${extra}stages:\n  split: { step: split, with: { folds: ${folds} } }\n`);
}

function splitResult(dir: string): { classes: string[]; counts: { perClass: Record<string, { train: number; test: number }> } } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'outputs', '.state', 'split.json'), 'utf8')).result;
}

test('a symlinked class folder is followed, and a change inside it invalidates the split', async (t) => {
  const dir = tempDir(t, 'f101-symlink-');
  const data = path.join(dir, 'photos');
  await photos(path.join(data, 'red'), 8, { r: 255, g: 0, b: 0 });
  await photos(path.join(dir, 'elsewhere', 'blue'), 8, { r: 0, g: 0, b: 255 });
  fs.symlinkSync(path.join(dir, 'elsewhere', 'blue'), path.join(data, 'blue'));
  pipeline(dir, data);
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(splitResult(dir).classes, ['blue', 'red']);
  assert.equal(splitResult(dir).counts.perClass.blue.train + splitResult(dir).counts.perClass.blue.test, 8);

  await sharp({ create: { width: 90, height: 30, channels: 3, background: { r: 0, g: 0, b: 200 } } }).jpeg().toFile(path.join(dir, 'elsewhere', 'blue', '8.jpg'));
  const plan = runCli(['plan', 'pipeline.yaml'], { cwd: dir });
  assert.match(plan.stdout, /split\s+split\s+cpu\s+pending: inputs or params changed/, 'a photo added behind the symlink changes the key');
});

test('a symlink looping back to the data root is refused by name', async (t) => {
  const dir = tempDir(t, 'f101-loop-');
  const data = path.join(dir, 'photos');
  await photos(path.join(data, 'red'), 4, { r: 255, g: 0, b: 0 });
  await photos(path.join(data, 'blue'), 4, { r: 0, g: 0, b: 255 });
  fs.symlinkSync(data, path.join(data, 'loop'));
  pipeline(dir, data, 2);
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /photos\/loop is a symlink to .*photos, which contains the data root: a loop/);
});

test('a class with fewer training images than folds is refused with the count; no test image is a warning', async (t) => {
  const dir = tempDir(t, 'f101-small-');
  const data = path.join(dir, 'photos');
  await photos(path.join(data, 'red'), 10, { r: 255, g: 0, b: 0 });
  await photos(path.join(data, 'blue'), 2, { r: 0, g: 0, b: 255 });
  pipeline(dir, data, 3, '  test_fraction: 0.2\n');
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /class 'blue' \(2\) of .*photos has fewer usable training images than the 3 folds need: add images, set stages\.split\.with\.folds to 2, or leave it out with data\.subset\.classes/);

  pipeline(dir, data, 2, '  test_fraction: 0.2\n');
  const ok = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /class 'blue' has no test image \(2 training images\): its test precision and recall cannot be measured; add images or raise data\.test_fraction/);
});
