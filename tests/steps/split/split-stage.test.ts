/**
 * The split stage on the real mini data set (Food-101 layout) and on generated plain-folder data sets with bad
 * files: manifests, dataset version, determinism, exclusion of corrupt files by name.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { fromPortable } from '../../../runner/portable-paths.ts';
import { parseCsv } from '../../../steps/split/manifest.ts';
import { readDataset } from '../../../steps/split/read-dataset.ts';
import { runCli } from '../../helpers/cli.ts';
import { miniDataDir } from '../../helpers/paths.ts';
import { tempDir } from '../../helpers/tmp.ts';

function pipelineFile(dir: string, dataRoot: string, extra = ''): string {
  const file = path.join(dir, 'pipeline.yaml');
  fs.writeFileSync(
    file,
    `name: split-test\ndata:\n  root: ${JSON.stringify(dataRoot)}\n${extra}stages:\n  split: { step: split, with: { folds: 3, seed: 42 } }\n`,
  );
  return file;
}

function splitResult(dir: string): { datasetVersion: string; dir: string; counts: { train: number; test: number }; excluded: { path: string; reason: string }[] } {
  // Stage states keep paths inside the workdir relative to it (`@workdir/...`): resolve them as the engine does.
  return fromPortable(JSON.parse(fs.readFileSync(path.join(dir, 'outputs', '.state', 'split.json'), 'utf8')).result, dir);
}

test('the Food-101 reader lists the mini data set as its meta files say', () => {
  const listing = readDataset(miniDataDir, 'auto');
  assert.equal(listing.layout, 'food101');
  assert.equal(listing.classes.length, 13);
  assert.equal(listing.labels[0], 'Apple pie');
  assert.equal(listing.train.length, 756);
  assert.equal(listing.test.length, 254);
  assert.equal(listing.missing.length, 0);
  assert.ok(listing.train.every((r) => r.path.startsWith(`images/${r.className}/`) && r.path.endsWith('.jpg')));
});

test('split on the mini data set: stratified folds, manifests with sha256, a content-derived version, deterministic', (t) => {
  const dir = tempDir(t, 'f101-split-');
  pipelineFile(dir, miniDataDir);
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const result = splitResult(dir);
  assert.match(result.datasetVersion, /^food101-mini_13c_tr75_te25_[0-9a-f]{8}$/);
  assert.equal(result.counts.train, 756);
  assert.equal(result.counts.test, 254);
  const train = parseCsv(fs.readFileSync(path.join(result.dir, 'train.csv'), 'utf8'));
  assert.equal(train.length, 756);
  assert.ok(train.every((e) => /^[0-9a-f]{64}$/.test(e.sha256)));
  const vals = [1, 2, 3].map((k) => parseCsv(fs.readFileSync(path.join(result.dir, `folds/fold${k}/val.csv`), 'utf8')));
  assert.equal(vals.reduce((n, v) => n + v.length, 0), 756, 'the folds partition the training part');
  for (const k of [1, 2, 3]) {
    const tr = parseCsv(fs.readFileSync(path.join(result.dir, `folds/fold${k}/train.csv`), 'utf8'));
    assert.equal(tr.length + vals[k - 1].length, 756);
    const valPaths = new Set(vals[k - 1].map((e) => e.path));
    assert.ok(tr.every((e) => !valPaths.has(e.path)));
  }
  for (const c of ['pizza', 'apple_pie']) {
    const perFold = vals.map((v) => v.filter((e) => e.className === c).length);
    assert.ok(Math.max(...perFold) - Math.min(...perFold) <= 1, `${c}: ${perFold.join(',')}`);
  }
  // Same data and params in another place -> the same version and byte-identical manifests.
  const other = tempDir(t, 'f101-split2-');
  pipelineFile(other, miniDataDir);
  assert.equal(runCli(['run', 'pipeline.yaml'], { cwd: other }).code, 0);
  const again = splitResult(other);
  assert.equal(again.datasetVersion, result.datasetVersion);
  assert.equal(fs.readFileSync(path.join(again.dir, 'folds/fold2/val.csv'), 'utf8'), fs.readFileSync(path.join(result.dir, 'folds/fold2/val.csv'), 'utf8'));
  // Another fold seed -> another version.
  const seeded = runCli(['run', 'pipeline.yaml', '--set', 'stages.split.with.seed=7'], { cwd: other });
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.notEqual(splitResult(other).datasetVersion, result.datasetVersion);
});

test('a plain folder data set with empty, corrupt and non-image files: each excluded by name, the rest split', async (t) => {
  const dir = tempDir(t, 'f101-folder-');
  const data = path.join(dir, 'photos');
  for (const [c, color] of [['red', { r: 255, g: 0, b: 0 }], ['blue', { r: 0, g: 0, b: 255 }]] as const) {
    fs.mkdirSync(path.join(data, c), { recursive: true });
    for (let i = 0; i < 8; i++) {
      await sharp({ create: { width: 40 + i, height: 30, channels: 3, background: color } }).jpeg().toFile(path.join(data, c, `${i}.jpg`));
    }
  }
  fs.writeFileSync(path.join(data, 'red', 'empty.jpg'), '');
  fs.writeFileSync(path.join(data, 'red', 'notes.jpg'), 'this is text, not a photo');
  const good = fs.readFileSync(path.join(data, 'blue', '0.jpg'));
  fs.writeFileSync(path.join(data, 'blue', 'garbage.jpg'), Buffer.concat([Buffer.from([0x00, 0x01]), good.subarray(100)]));
  pipelineFile(dir, data, '  subset: { classes: [red, blue] }\n');
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const result = splitResult(dir);
  assert.deepEqual(result.excluded.map((e) => e.path).sort(), ['blue/garbage.jpg', 'red/empty.jpg', 'red/notes.jpg']);
  assert.match(r.stderr, /excluded .*red\/empty\.jpg: empty file/);
  assert.equal(result.counts.train + result.counts.test, 16);
  assert.equal(result.counts.test, 4, 'test_fraction 0.25 of 8 per class');
});

test('a missing data root and an unknown subset class are clear errors', (t) => {
  const dir = tempDir(t, 'f101-split-err-');
  pipelineFile(dir, path.join(dir, 'nowhere'));
  const r = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /stage 'split' failed: data root .*nowhere does not exist: set data.root in the pipeline file or the FOOD101_DIR environment variable/);
  pipelineFile(dir, miniDataDir, '  subset: { classes: [pizza, stake] }\n');
  const r2 = runCli(['run', 'pipeline.yaml'], { cwd: dir });
  assert.match(r2.stderr, /no class 'stake' in the data set \(did you mean 'steak'\?\)/);
});
