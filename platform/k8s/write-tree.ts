/**
 * Writes a rendered tree to a directory, all or nothing: built in a temporary sibling and renamed into place. A
 * directory that was not written by the renderer (no `.pipeline-k8s` marker) is never replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../runner/errors.ts';
import { writeDirAtomic } from '../../runner/fs-atomic.ts';
import type { Tree } from './layout.ts';

export const MARKER = '.pipeline-k8s';


export async function writeTree(dir: string, tree: Tree): Promise<void> {
  const target = path.resolve(dir);
  if (fs.existsSync(target)) {
    const entries = fs.readdirSync(target);
    if (entries.length && !entries.includes(MARKER)) {
      throw new UsageError(`--out ${dir}: the directory exists and was not written by 'pipeline k8s render' (no ${MARKER} in it); choose another --out or empty it`);
    }
  }
  await writeDirAtomic(target, (tmp) => {
    for (const [rel, text] of tree) {
      const file = path.join(tmp, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
  });
}
