/**
 * A stage's cache key: everything that can change its result, and nothing else: params and sections without
 * their performance knobs, the content hashes of upstream results (not their bookkeeping), input file contents.
 * Input files are hashed by content (memoised by size and mtime in the store, so a second run over 100k files
 * only stats them).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PipelineConfig, StageConfig } from './config/pipeline-config.ts';
import { hashValue } from './hash.ts';
import { withoutPerformanceKnobs } from './performance-knobs.ts';
import { isInside } from './portable-paths.ts';
import type { InputsContext } from './step.ts';

export interface FileHasher {
  sha256Many(paths: readonly string[], concurrency?: number): Promise<string[]>;
}

/**
 * Every regular file under `dir`, sorted, skipping dot-files (editors' and our own temporaries). Symlinks are
 * followed (a symlinked class folder is data too), each real folder once, so a link back up cannot loop.
 */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (d: string): void => {
    const real = fs.realpathSync(d);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(d, entry.name);
      const stat = entry.isSymbolicLink() ? fs.statSync(full, { throwIfNoEntry: false }) : entry;
      if (stat?.isDirectory()) walk(full);
      else if (stat?.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Files hashed per call: a first run over a large data set reports progress between chunks. */
const HASH_CHUNK = 2000;

export interface StageKeyOptions {
  /** `i/n` for a stage that ran one shard of its work (see shard-key.ts). */
  readonly shard?: string;
  /** Called after each chunk of input files is hashed (only when there is more than one chunk). */
  readonly onProgress?: (done: number, total: number) => void;
}

async function hashInputs(paths: readonly string[], workdir: string, hasher: FileHasher, onProgress?: StageKeyOptions['onProgress']): Promise<{ path: string; sha256: string }[]> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    if (!stat) missing.push(p);
    else if (stat.isDirectory()) files.push(...listFiles(p));
    else files.push(p);
  }
  const hashes: string[] = [];
  for (let i = 0; i < files.length; i += HASH_CHUNK) {
    hashes.push(...(await hasher.sha256Many(files.slice(i, i + HASH_CHUNK))));
    if (files.length > HASH_CHUNK) onProgress?.(Math.min(files.length, i + HASH_CHUNK), files.length);
  }
  // Inside the workdir, paths relative to it (a moved checkout keeps its keys); outside it, absolute (it did not move).
  const shown = (f: string): string => (isInside(workdir, f) ? path.relative(workdir, f).split(path.sep).join('/') : f);
  return [...files.map((f, i) => ({ path: shown(f), sha256: hashes[i] })), ...missing.map((m) => ({ path: shown(m), sha256: 'missing' }))];
}

export async function stageKey(
  config: PipelineConfig,
  stage: StageConfig,
  upstream: Readonly<Record<string, unknown>>,
  view: InputsContext,
  hasher: FileHasher,
  opts: StageKeyOptions = {},
): Promise<string> {
  const inputs = stage.step.inputs ? await hashInputs(await stage.step.inputs(stage.params, view), config.workdir, hasher, opts.onProgress) : [];
  return hashValue({
    step: stage.step.name,
    version: stage.step.version,
    params: withoutPerformanceKnobs(stage.step.schema, stage.params),
    sections: Object.fromEntries((stage.step.reads ?? []).map((s) => [s.key, withoutPerformanceKnobs(s.schema, config.sections[s.key])])),
    upstream,
    inputs,
    ...(stage.step.fingerprint ? { fingerprint: await stage.step.fingerprint(stage.params, view) } : {}),
    ...(opts.shard ? { shard: opts.shard } : {}),
  });
}
