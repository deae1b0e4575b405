/**
 * Reads a data set's class list and its train/test image lists, in the official Food-101 layout
 * (images/<class>/<id>.jpg, meta/classes.txt, meta/train.txt, meta/test.txt; meta/labels.txt optional) or a plain
 * image-folder layout (<class>/*.jpg; its test part is drawn per class with a seed). Paths are relative to the root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../../runner/errors.ts';
import { mulberry32, seedFrom, shuffled } from '../../ml/random.ts';

export interface ImageRef {
  /** Path relative to the data root, with forward slashes. */
  readonly path: string;
  readonly className: string;
}

export interface DatasetListing {
  readonly layout: 'food101' | 'folder';
  readonly classes: readonly string[];
  /** Human-readable names, same order as `classes` (meta/labels.txt, else derived from the class ids). */
  readonly labels: readonly string[];
  readonly train: readonly ImageRef[];
  readonly test: readonly ImageRef[];
  /** Entries of the lists whose file does not exist. */
  readonly missing: readonly ImageRef[];
  /**
   * True for the folder layout: everything is in `train` and the test part is drawn later with `drawTestSplit`,
   * after unusable files are excluded (so the test share holds for the usable files).
   */
  readonly pooled: boolean;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'];

function readLines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function humanise(id: string): string {
  const s = id.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function readFood101(root: string): DatasetListing {
  const meta = path.join(root, 'meta');
  const classes = readLines(path.join(meta, 'classes.txt'));
  const labelsFile = path.join(meta, 'labels.txt');
  const labels = fs.existsSync(labelsFile) ? readLines(labelsFile) : classes.map(humanise);
  if (labels.length !== classes.length) {
    throw new DataError(`${labelsFile}: ${labels.length} labels for ${classes.length} classes in meta/classes.txt; they must match line for line`);
  }
  const known = new Set(classes);
  const missing: ImageRef[] = [];
  const list = (name: string): ImageRef[] => {
    const file = path.join(meta, name);
    if (!fs.existsSync(file)) throw new DataError(`${file} not found: the Food-101 layout needs meta/train.txt and meta/test.txt`);
    const out: ImageRef[] = [];
    for (const [i, entry] of readLines(file).entries()) {
      const className = entry.split('/')[0];
      if (!known.has(className)) throw new DataError(`${file}:${i + 1}: class '${className}' is not in meta/classes.txt`);
      const ref = { path: `images/${entry}.jpg`, className };
      (fs.existsSync(path.join(root, ref.path)) ? out : missing).push(ref);
    }
    return out;
  };
  return { layout: 'food101', classes, labels, train: list('train.txt'), test: list('test.txt'), missing, pooled: false };
}

/**
 * Class folders of the folder layout. A symlinked folder is followed (a class kept elsewhere is common), unless it
 * leads back to the data root or above it: that would be a loop, refused by name.
 */
function classFolders(root: string): string[] {
  const realRoot = fs.realpathSync(root);
  const out: string[] = [];
  for (const d of fs.readdirSync(root, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    if (d.isDirectory()) out.push(d.name);
    else if (d.isSymbolicLink()) {
      const link = path.join(root, d.name);
      let target: string;
      try {
        target = fs.realpathSync(link);
      } catch {
        throw new DataError(`${link} is a broken symlink (it points to ${fs.readlinkSync(link)}, which does not exist): fix or remove it`);
      }
      if (!fs.statSync(target).isDirectory()) continue;
      const rel = path.relative(target, realRoot);
      if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
        throw new DataError(`${link} is a symlink to ${target}, which contains the data root: a loop. Point it at the class's own folder or remove it`);
      }
      out.push(d.name);
    }
  }
  return out.sort();
}

function readFolder(root: string): DatasetListing {
  const classes = classFolders(root);
  if (classes.length < 2) throw new DataError(`${root}: expected one sub-folder per class (at least 2), found ${classes.length}`);
  const all = classes.flatMap((className) =>
    fs
      .readdirSync(path.join(root, className))
      .filter((f) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase()))
      .sort()
      .map((f) => ({ path: `${className}/${f}`, className })),
  );
  return { layout: 'folder', classes, labels: classes.map(humanise), train: all, test: [], missing: [], pooled: true };
}

/** Draws `fraction` of each class (seeded) as the test part; the rest is train. Both sorted by path. */
export function drawTestSplit<T extends ImageRef>(items: readonly T[], fraction: number, seed: number): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  for (const className of [...new Set(items.map((i) => i.className))].sort()) {
    const mine = items.filter((i) => i.className === className).sort((a, b) => (a.path < b.path ? -1 : 1));
    const order = shuffled(mine, mulberry32(seedFrom('test-split', seed, className)));
    const nTest = Math.round(order.length * fraction);
    test.push(...order.slice(0, nTest));
    train.push(...order.slice(nTest));
  }
  const byPath = (a: T, b: T) => (a.path < b.path ? -1 : 1);
  return { train: train.sort(byPath), test: test.sort(byPath) };
}

export function readDataset(root: string, layout: 'auto' | 'food101' | 'folder'): DatasetListing {
  if (!fs.existsSync(root)) {
    throw new DataError(`data root ${root} does not exist: set data.root in the pipeline file or the FOOD101_DIR environment variable`);
  }
  const isFood101 = fs.existsSync(path.join(root, 'meta', 'classes.txt'));
  if (layout === 'food101' && !isFood101) throw new DataError(`${root}: no meta/classes.txt, so this is not the Food-101 layout (use layout: folder?)`);
  return layout === 'folder' || (layout === 'auto' && !isFood101) ? readFolder(root) : readFood101(root);
}
