/** Where a registered model came from: enough to trace it to the data, the run, the config and the code. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../lib/hash.ts';

/** The git commit of `dir` (with `+dirty` when there are uncommitted changes), or null outside a repository. */
export function gitCommit(dir: string): string | null {
  try {
    const opts = { cwd: dir, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

export function pipelineFileHash(file: string): string {
  return sha256(fs.readFileSync(file));
}

export function relativeTo(workdir: string, file: string): string {
  const rel = path.relative(workdir, file);
  return rel.startsWith('..') ? file : rel;
}
