/**
 * Turns ajv's errors into issues a person can act on: one line per problem, located in the file, with
 * "did you mean" for misspelled keys and names. ajv runs with allErrors, so every problem comes out in one pass.
 */
import type { ErrorObject } from 'ajv';
import { closest, didYouMean } from './suggest.ts';
import type { KeyPath } from './source.ts';

export interface RawIssue {
  readonly path: KeyPath;
  readonly message: string;
  /** Point at the key rather than the value (unknown keys). */
  readonly atKey?: boolean;
}

function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

function propertyNames(schema: unknown): string[] {
  const s = schema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(s?.properties ?? {});
}

function one(e: ErrorObject): RawIssue | undefined {
  const path = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
      return undefined;
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = propertyNames(e.parentSchema);
      const hint = didYouMean(key, known) || (known.length ? ` (allowed: ${known.join(', ')})` : '');
      return { path: [...path, key], atKey: true, message: `unknown key '${key}'${hint}` };
    }
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: `missing required key '${String(p.missingProperty)}'` };
    case 'type':
      return { path, message: `expected ${String(p.type)}, got ${describe(e.data)}` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      if (path.length === 3 && path[0] === 'stages' && path[2] === 'step') {
        const hint = didYouMean(String(e.data), allowed) || `; known steps: ${allowed.join(', ')}`;
        return { path, message: `unknown step '${String(e.data)}'${hint}` };
      }
      return { path, message: `'${String(e.data)}' is not one of: ${allowed.join(', ')}${didYouMean(String(e.data), allowed)}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'propertyNames':
      return undefined; // reported by the failing 'pattern' (or other) keyword below, which names the key
    case 'pattern':
      if ((e as { propertyName?: string }).propertyName !== undefined) {
        const key = String((e as { propertyName?: string }).propertyName);
        return { path: [...path, key], atKey: true, message: `invalid name '${key}': must match ${String(p.pattern)}` };
      }
      return { path, message: `'${String(e.data)}' must match ${String(p.pattern)}` };
    default:
      return { path, message: `${e.message ?? 'invalid'} (got ${describe(e.data)})` };
  }
}

/** How well a failed anyOf branch fits the data: fewer problems is better; being the wrong type is worst. */
function branchCost(branch: readonly ErrorObject[], at: string): number {
  let cost = branch.length;
  for (const e of branch) {
    if (e.instancePath === at && e.keyword === 'type') cost += 0.5;
    if (e.keyword === 'additionalProperties' && didYouMean(String((e.params as { additionalProperty: unknown }).additionalProperty), propertyNames(e.parentSchema))) {
      cost -= 0.25;
    }
  }
  return cost;
}

/**
 * Keeps, for every failed `anyOf`, only the errors of the branch that fits the data best (a misspelled key in a
 * layer spec should be reported against the layer kind it was meant to be, not against every kind).
 */
function bestBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  let kept = [...errors];
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const any of anyOfs) {
    if (!kept.includes(any)) continue;
    const prefix = `${any.schemaPath}/`;
    // The same schema applies at many places (every item of a list): a branch error belongs to this failure only
    // if it is at or below this instance.
    const mine = (e: ErrorObject): boolean =>
      e.schemaPath.startsWith(prefix) && (e.instancePath === any.instancePath || e.instancePath.startsWith(`${any.instancePath}/`));
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of kept) {
      if (!mine(e)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0];
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    if (byBranch.size < 2) continue;
    const [best] = [...byBranch.entries()].sort(([a, ea], [b, eb]) => branchCost(ea, any.instancePath) - branchCost(eb, any.instancePath) || Number(a) - Number(b));
    kept = kept.filter((e) => !mine(e) || e.schemaPath.startsWith(`${prefix}${best[0]}/`));
  }
  return kept;
}

/** Converts ajv errors into located, de-duplicated issues. */
export function ajvIssues(errors: readonly ErrorObject[]): RawIssue[] {
  const out: RawIssue[] = [];
  const seen = new Set<string>();
  const kept = bestBranches(errors);
  // "unknown key 'dropuot' (did you mean 'dropout'?)" already says that 'dropout' is missing.
  const misspelt = new Set(
    kept
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => `${e.instancePath}|${closest(String((e.params as { additionalProperty: unknown }).additionalProperty), propertyNames(e.parentSchema)) ?? ''}`),
  );
  for (const e of kept) {
    if (e.keyword === 'required' && misspelt.has(`${e.instancePath}|${String((e.params as { missingProperty: unknown }).missingProperty)}`)) continue;
    const issue = one(e);
    if (!issue) continue;
    const key = `${issue.path.join('.')}|${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}
