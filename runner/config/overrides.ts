/**
 * `--set key.path=value` overrides from the command line. The value is read as YAML, so numbers, booleans and
 * lists (`--set stages.grid.with.params.lr=[0.001,0.01]`) keep their types.
 */
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.ts';
import { FORBIDDEN_KEYS, forbiddenKeyMessage } from './safe-keys.ts';

export interface Override {
  readonly path: readonly string[];
  readonly value: unknown;
  readonly text: string;
}

export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${text}: expected key.path=value (for example --set stages.split.with.folds=5)`);
  const path = text.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw new UsageError(`--set ${text}: empty segment in key path '${text.slice(0, eq)}'`);
  const bad = path.find((p) => FORBIDDEN_KEYS.has(p));
  if (bad) throw new UsageError(`--set ${text}: ${forbiddenKeyMessage(bad)}`);
  let value: unknown;
  try {
    value = parseYaml(text.slice(eq + 1));
  } catch {
    value = text.slice(eq + 1);
  }
  return { path, value: value === null && text.slice(eq + 1) === '' ? '' : value, text };
}

/** Applies overrides to a plain config value in place (creating objects along the path). */
export function applyOverrides(config: Record<string, unknown>, overrides: readonly Override[]): void {
  for (const o of overrides) {
    let target: Record<string, unknown> = config;
    const bad = o.path.find((p) => FORBIDDEN_KEYS.has(p));
    if (bad) throw new UsageError(`--set ${o.text}: ${forbiddenKeyMessage(bad)}`);
    for (const [i, key] of o.path.slice(0, -1).entries()) {
      // Own properties only: an inherited one (toString, ...) is not part of the config.
      const next = Object.hasOwn(target, key) ? target[key] : undefined;
      if (next === undefined || next === null) target[key] = {};
      else if (typeof next !== 'object') {
        throw new UsageError(`--set ${o.text}: '${o.path.slice(0, i + 1).join('.')}' is a ${typeof next}, not a map`);
      }
      target = target[key] as Record<string, unknown>;
    }
    target[o.path[o.path.length - 1]] = o.value;
  }
}
