/** Stage names of the shipped pipeline file, for checking `--until <stage>` and friends. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../helpers/paths.ts';

export const pipelineFile = path.join(repoRoot, 'pipelines', 'food101.yaml');

export function stageNames(file = pipelineFile): string[] {
  const doc = parse(fs.readFileSync(file, 'utf8')) as { stages?: Record<string, unknown> };
  return Object.keys(doc.stages ?? {});
}

/** Stages named by --until/--from/--only in a CLI command line. */
export function namedStages(cli: readonly string[]): string[] {
  const out: string[] = [];
  cli.forEach((w, i) => {
    const m = /^--(until|from|only)(?:=(.*))?$/.exec(w);
    if (m) out.push(...(m[2] ?? cli[i + 1] ?? '').split(','));
  });
  return out.filter(Boolean);
}
