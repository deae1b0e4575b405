/**
 * Turns ajv's errors into issues a person can act on: one line per problem, located in the file, with
 * "did you mean" for misspelled keys and names. ajv runs with allErrors, so every problem comes out in one pass.
 */
import type { ErrorObject } from 'ajv';
import { didYouMean } from './suggest.ts';
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
        return { path, message: `unknown step '${String(e.data)}'${didYouMean(String(e.data), allowed)}; known steps: ${allowed.join(', ')}` };
      }
      return { path, message: `'${String(e.data)}' is not one of: ${allowed.join(', ')}${didYouMean(String(e.data), allowed)}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'propertyNames':
      return { path: [...path, String(p.propertyName)], atKey: true, message: `invalid name '${String(p.propertyName)}'` };
    case 'pattern':
      return { path, message: `'${String(e.data)}' must match ${String(p.pattern)}` };
    default:
      return { path, message: `${e.message ?? 'invalid'} (got ${describe(e.data)})` };
  }
}

/**
 * Converts ajv errors. Where an `anyOf` failed, its branch errors at the same place are merged into one line
 * (preferring the enum branch, which carries the suggestion).
 */
export function ajvIssues(errors: readonly ErrorObject[]): RawIssue[] {
  const anyOfAt = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: RawIssue[] = [];
  const seen = new Set<string>();
  const push = (issue: RawIssue | undefined): void => {
    if (!issue) return;
    const key = `${issue.path.join('.')}|${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  };
  for (const pointer of anyOfAt) {
    const branches = errors.filter((e) => e.instancePath === pointer && e.keyword !== 'anyOf');
    const preferred = branches.find((e) => e.keyword === 'enum') ?? branches[0];
    if (preferred) push(one(preferred));
  }
  for (const e of errors) {
    if (anyOfAt.has(e.instancePath) && e.keyword !== 'additionalProperties' && e.keyword !== 'required') continue;
    // 'required' errors raised inside a failing anyOf branch are noise unless nothing else explains the place.
    push(one(e));
  }
  return out;
}
