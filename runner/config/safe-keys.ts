/**
 * Keys a pipeline file or a `--set` may not use. `__proto__`, `constructor` and `prototype` reach into
 * `Object.prototype` as soon as some code assigns `target[key] = value` along a user path (a `--set __proto__.x=1`
 * used to pollute every object in the process and then crash inside ajv), so they are refused wherever user keys
 * are applied: the parsed file (merge keys included), `--set` paths and values, and interpolation.
 * Numbers must be finite too: no schema here means infinity (`lr: .inf` used to validate).
 */
import type { KeyPath } from './source.ts';

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface KeyIssue {
  readonly path: KeyPath;
  readonly message: string;
  /** True when the issue is about the key itself (so its position is the key's). */
  readonly atKey?: boolean;
}

export function forbiddenKeyMessage(key: string): string {
  return `the key '${key}' is not allowed (it would reach into Object.prototype); rename it`;
}

/** Every forbidden key (and, with `numbers`, every non-finite number) in a plain value, with its path. */
export function unsafeValueIssues(value: unknown, path: KeyPath = [], opts: { keys?: boolean; numbers?: boolean } = { keys: true, numbers: true }): KeyIssue[] {
  const out: KeyIssue[] = [];
  const walk = (v: unknown, p: KeyPath): void => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      if (!opts.numbers) return;
      out.push({ path: p, message: `expected a finite number, got ${Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf'}` });
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...p, i]));
    else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (FORBIDDEN_KEYS.has(k)) {
          if (opts.keys) out.push({ path: [...p, k], message: forbiddenKeyMessage(k), atKey: true });
        } else walk(item, [...p, k]);
      }
    }
  };
  walk(value, path);
  return out;
}
