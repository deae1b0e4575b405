/**
 * A structural check of a kustomize tree, for where no kustomize binary runs: every `resources:` and
 * `components:` entry exists (a file, or a folder with a kustomization.yaml), every patch file exists, and every
 * patch (strategic-merge documents and `target:` selectors) names an object that the kustomization's resources or
 * components define. The tests also build the tree with `kubectl kustomize` where kubectl is installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

type Plain = Record<string, any>;
export interface Built {
  readonly objects: Plain[];
  readonly problems: string[];
}

function docs(file: string): Plain[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Plain).filter(Boolean);
}

const id = (o: Plain) => `${o.kind}/${o.metadata?.name}`;

/** The objects a kustomization directory defines (before patches), and the structural problems found. */
export function checkKustomization(dir: string, seen = new Set<string>(), inherited: readonly Plain[] = []): Built {
  const file = path.join(dir, 'kustomization.yaml');
  const rel = (p: string) => path.relative(process.cwd(), p);
  if (!fs.existsSync(file)) return { objects: [], problems: [`${rel(dir)}: no kustomization.yaml`] };
  if (seen.has(dir)) return { objects: [], problems: [`${rel(dir)}: included twice (cycle or duplicate)`] };
  seen.add(dir);
  const k = parse(fs.readFileSync(file, 'utf8')) as Plain;
  const problems: string[] = [];
  const objects: Plain[] = [];
  for (const key of ['resources', 'components'] as const) {
    for (const entry of (k[key] ?? []) as string[]) {
      const p = path.resolve(dir, entry);
      if (!fs.existsSync(p)) {
        problems.push(`${rel(file)}: ${key} entry ${entry} does not exist`);
        continue;
      }
      if (fs.statSync(p).isDirectory()) {
        // A component patches what the kustomization that includes it has defined so far.
        const sub = checkKustomization(p, seen, key === 'components' ? [...inherited, ...objects] : []);
        const subKind = (parse(fs.readFileSync(path.join(p, 'kustomization.yaml'), 'utf8')) as Plain | undefined)?.kind ?? 'Kustomization';
        if (key === 'components' && subKind !== 'Component') problems.push(`${rel(file)}: component ${entry} is a ${subKind}, not a Component`);
        if (key === 'resources' && subKind === 'Component') problems.push(`${rel(file)}: ${entry} is a Component; list it under components:`);
        problems.push(...sub.problems);
        objects.push(...sub.objects);
      } else if (key === 'components') problems.push(`${rel(file)}: component ${entry} must be a folder`);
      else objects.push(...docs(p));
    }
  }
  const known = new Set([...inherited, ...objects].map(id));
  const pool = [...inherited, ...objects];
  for (const [i, pt] of ((k.patches ?? []) as Plain[]).entries()) {
    const at = `${rel(file)}: patches[${i}]`;
    if (pt.path) {
      const p = path.resolve(dir, pt.path);
      if (!fs.existsSync(p)) {
        problems.push(`${at}: ${pt.path} does not exist`);
        continue;
      }
      if (!pt.target) for (const d of docs(p)) if (!known.has(id(d))) problems.push(`${at}: patches ${id(d)}, which no resource defines`);
    }
    if (pt.target) {
      const hit = pool.some((o) => (!pt.target.kind || o.kind === pt.target.kind) && (!pt.target.name || o.metadata?.name === pt.target.name));
      if (!hit) problems.push(`${at}: target ${pt.target.kind}/${pt.target.name} matches no resource`);
    }
    if (!pt.path && !pt.patch) problems.push(`${at}: neither path nor patch`);
  }
  return { objects, problems };
}
