/**
 * Shared by the generators (`scripts/gen-*.ts`): where the repository is, a stable key order for JSON Schema, and
 * "write, or with --check report whether the file is out of date".
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../lib/fs-atomic.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** True when the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

// Keywords first in reading order (what it is, what it accepts, then its children), unknown ones alphabetically after.
const KEYWORD_ORDER = [
  '$schema', '$id', '$anchor', '$ref', 'title', 'description', 'type', 'const', 'enum', 'default', 'examples',
  'format', 'pattern', 'minLength', 'maxLength', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum',
  'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'prefixItems', 'items', 'contains', 'minContains',
  'maxContains', 'unevaluatedItems', 'minProperties', 'maxProperties', 'required', 'properties',
  'patternProperties', 'additionalProperties', 'propertyNames', 'unevaluatedProperties', 'dependentRequired',
  'dependentSchemas', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions',
];
const rank = new Map(KEYWORD_ORDER.map((k, i) => [k, i]));
/** Values that are data, not schemas: kept exactly as written. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples', 'required', 'dependentRequired']);
/** Maps keyed by names the author chose (property names, patterns): their order is meaningful, keep it. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * A copy of `schema` whose keywords come in one fixed order at every level, so the generated file only changes
 * when the schema does. Property order is kept: it is the order the reference documents keys in.
 */
export function orderSchemaKeys(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(orderSchemaKeys);
  if (!schema || typeof schema !== 'object') return schema;
  const keys = Object.keys(schema).sort((a, b) => {
    const ra = rank.get(a) ?? KEYWORD_ORDER.length;
    const rb = rank.get(b) ?? KEYWORD_ORDER.length;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (schema as Record<string, unknown>)[key];
    if (DATA_KEYWORDS.has(key)) out[key] = value;
    else if (NAME_MAPS.has(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, orderSchemaKeys(sub)]));
    } else out[key] = orderSchemaKeys(value);
  }
  return out;
}

/**
 * Writes `content` to `file` (atomically) unless it is already there. With `check`, writes nothing and returns
 * false when the file differs, printing the command that brings it up to date.
 */
export function emit(file: string, content: string, opts: { check: boolean; fixCommand: string }): boolean {
  const rel = path.relative(repoRoot, file);
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current === content) {
    process.stdout.write(`${rel} is up to date\n`);
    return true;
  }
  if (opts.check) {
    process.stderr.write(`${rel} is out of date: run \`${opts.fixCommand}\`\n`);
    return false;
  }
  writeFileAtomic(file, content);
  process.stdout.write(`wrote ${rel}\n`);
  return true;
}
