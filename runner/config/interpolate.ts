/**
 * `${NAME}` and `${NAME:-default}` in string values, from the environment. `$${` writes a literal `${`.
 * A value that is exactly one `${...}` is read as a YAML scalar after substitution, so `folds: ${K:-3}` is a number.
 */
import { parse as parseYamlScalar } from 'yaml';
import { FORBIDDEN_KEYS } from './safe-keys.ts';
import type { KeyPath } from './source.ts';

export interface InterpolationIssue {
  readonly path: KeyPath;
  readonly message: string;
}

const EXPR = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function substitute(text: string, env: NodeJS.ProcessEnv, path: KeyPath, issues: InterpolationIssue[]): string {
  return text.replace(EXPR, (match: string, body: string | undefined) => {
    if (match === '$${') return '${';
    if (!match.endsWith('}')) {
      issues.push({ path, message: `bad interpolation '${match}': missing '}' (write $\${ for a literal \${)` });
      return match;
    }
    const sep = body!.indexOf(':-');
    const name = sep >= 0 ? body!.slice(0, sep) : body!;
    if (!NAME.test(name)) {
      issues.push({ path, message: `bad interpolation '${match}': expected \${NAME} or \${NAME:-default}` });
      return match;
    }
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (sep >= 0) return body!.slice(sep + 2);
    issues.push({ path, message: `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})` });
    return match;
  });
}

/** Returns a copy of `value` with every string interpolated; problems are collected, not thrown. */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv, issues: InterpolationIssue[], path: KeyPath = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const out = substitute(value, env, path, issues);
    const whole = /^\$\{[^}]*\}$/.test(value);
    if (!whole) return out;
    try {
      const scalar: unknown = parseYamlScalar(out);
      return scalar === null || typeof scalar === 'object' ? out : scalar;
    } catch {
      return out;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, issues, [...path, i]));
  if (value && typeof value === 'object') {
    // Forbidden keys are reported by the loader before interpolation; never carry them into the copy.
    const entries = Object.entries(value).filter(([k]) => !FORBIDDEN_KEYS.has(k));
    return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, env, issues, [...path, k])]));
  }
  return value;
}
