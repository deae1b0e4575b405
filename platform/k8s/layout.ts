/**
 * The kustomize tree: a base (serving, configuration, storage, monitoring), the training Jobs in a kustomization
 * of their own (applied per training run, in order, never by a serving deploy), optional components for what
 * needs a CRD or an adapter, and `dev` / `prod` overlays. Every file is YAML text, keyed by its path in the tree.
 */
import { stringify } from 'yaml';
import type { K8sObject } from './common.ts';

export type Tree = Map<string, string>;
type Plain = Record<string, unknown>;

/** One or more objects as one YAML file (documents separated by ---). */
export function yamlFile(objects: readonly unknown[], header?: string): string {
  const body = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  return header ? `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n${body}` : body;
}

export function kustomization(fields: Plain, kind: 'Kustomization' | 'Component' = 'Kustomization', comment?: string): string {
  const apiVersion = kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
  return yamlFile([{ apiVersion, kind, ...fields }], comment);
}

/** The file name an object is written to: `<kind>-<name>.yaml`, lower case. */
export function fileFor(o: K8sObject): string {
  return `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
}

/** Adds each object as its own file under `dir`; returns the file names (for `resources:`). */
export function addObjects(tree: Tree, dir: string, objects: readonly K8sObject[]): string[] {
  return objects.map((o) => {
    const name = fileFor(o);
    tree.set(`${dir}/${name}`, yamlFile([o]));
    return name;
  });
}

/** A strategic-merge patch: the object's identity plus the fields to change. */
export function patch(target: K8sObject, fields: Plain): Plain {
  return { apiVersion: target.apiVersion, kind: target.kind, metadata: { name: target.metadata.name }, ...fields };
}
