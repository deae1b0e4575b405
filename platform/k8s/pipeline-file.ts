/**
 * The pipeline file that every pod runs, shipped in a ConfigMap: the validated, resolved document (overrides
 * applied, defaults filled in), with two changes.
 * - Every string that was written with `${...}` in the source file keeps its reference instead of the value it
 *   had on the machine that rendered it. The pods resolve it from their own environment, which is the same for
 *   every shard (so their configurations, and cache keys, agree), and a store URL with a password in it never lands
 *   in a ConfigMap even when it was set where `render` ran.
 * - `workdir` is the pods' writable working directory.
 */
import fs from 'node:fs';
import { parse, stringify } from 'yaml';
import type { PipelineConfig } from '../../runner/config/pipeline-config.ts';

type Plain = Record<string, unknown>;
const isMap = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Puts back the source's `${...}` strings into `resolved` (same shape), except under overridden paths. */
function restoreReferences(resolved: unknown, source: unknown, overridden: (path: string) => boolean, at: string[] = []): unknown {
  if (typeof source === 'string' && source.includes('${') && !overridden(at.join('.'))) return source;
  if (Array.isArray(resolved) && Array.isArray(source)) return resolved.map((v, i) => restoreReferences(v, source[i], overridden, [...at, String(i)]));
  if (isMap(resolved) && isMap(source)) {
    return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, k in source ? restoreReferences(v, source[k], overridden, [...at, k]) : v]));
  }
  return resolved;
}

export interface PipelineFileOptions {
  /** Key paths given with --set at render time (their values are literal, not references). */
  readonly overriddenPaths: readonly string[];
  readonly workdir: string;
  /** Top-level sections that configure the deployment only and must not reach the pods. */
  readonly dropKeys?: readonly string[];
}

/** The YAML text of the pods' pipeline file. */
export function podPipelineFile(config: PipelineConfig, opts: PipelineFileOptions): string {
  const source: unknown = parse(fs.readFileSync(config.file, 'utf8'), { merge: true });
  const overridden = (p: string) => opts.overriddenPaths.some((o) => p === o || p.startsWith(`${o}.`) || o.startsWith(`${p}.`));
  const doc = restoreReferences(config.resolved, source, overridden) as Plain;
  for (const key of opts.dropKeys ?? []) delete doc[key];
  doc.workdir = opts.workdir;
  const header = [
    `# Rendered by \`pipeline k8s render\` from ${config.name} (config hash ${config.hash.slice(0, 12)}): the resolved`,
    '# file with ${...} references kept, so each pod resolves them from its own environment. Do not edit: re-render.',
  ];
  return `${header.join('\n')}\n${stringify(doc, { lineWidth: 0 })}`;
}
