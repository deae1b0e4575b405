/**
 * Walks a pipeline JSON Schema into documentation rows: one row per key (path, type, default, allowed values,
 * description), and one branch per `if`/`then` condition (a step's `with:` keys, an architecture family's keys).
 * Knows JSON Schema, not this product: a new step, section or family is documented without touching this file.
 */

export type Schema = Record<string, unknown>;

export interface Row {
  /** Dotted key path; `<name>` stands for a key the user chooses, `[]` for a list item. */
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  /** The default as JSON, or undefined. */
  readonly default?: string;
  /** Allowed values and constraints, in words. */
  readonly allowed: string;
  readonly description: string;
}

/** Keys that exist only when a condition holds (`if: { properties: { step: { const: split } } }`). */
export interface Branch {
  /** Where the condition sits, e.g. `stages.<name>`; rows in the branch are relative to it. */
  readonly base: string;
  /** The discriminating key and value, e.g. `{ key: 'step', value: 'split' }`. */
  readonly conditions: readonly { key: string; value: unknown }[];
  /** The description of the branch's single object property (a step's `with:` description), if any. */
  readonly description?: string;
  readonly rows: Row[];
  readonly branches: Branch[];
}

export interface Walked {
  readonly rows: Row[];
  readonly branches: Branch[];
}

const isObject = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);
const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

/** Follows local `$ref`s (`#/$defs/x`) so referenced definitions are documented where they are used. */
export function resolver(root: Schema): (s: Schema) => Schema {
  return function resolve(s: Schema, depth = 0): Schema {
    const ref = s.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/') || depth > 20) return s;
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    if (!isObject(target)) return s;
    const { $ref: _drop, ...rest } = s;
    return { ...resolve(target, depth + 1), ...rest };
  } as (s: Schema) => Schema;
}

function branchesOf(s: Schema): Schema[] {
  return [...((s.anyOf as Schema[] | undefined) ?? []), ...((s.oneOf as Schema[] | undefined) ?? [])].filter(isObject);
}

/** A short type: `string`, `integer \| string`, `list of object`, `map of integer`. */
export function typeOf(s: Schema, resolve: (s: Schema) => Schema): string {
  s = resolve(s);
  const alternatives = branchesOf(s);
  if (alternatives.length) return [...new Set(alternatives.map((b) => typeOf(b, resolve)))].join(' | ');
  if (s.const !== undefined) return s.const === null ? 'null' : typeof s.const === 'object' ? 'object' : typeof s.const;
  if (Array.isArray(s.enum)) return [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))].join(' | ');
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  return (
    types
      .map((t) => {
        if (t === 'array' && isObject(s.items)) return `list of ${typeOf(s.items, resolve)}`;
        if (t === 'object' && !s.properties) {
          const values = [...Object.values((s.patternProperties as Schema | undefined) ?? {}), s.additionalProperties].filter(isObject);
          if (values.length) return `map of ${[...new Set(values.map((v) => typeOf(v, resolve)))].join(' | ')}`;
        }
        return t;
      })
      .join(' | ') || 'any'
  );
}

function bounds(s: Schema, unit = ''): string[] {
  const out: string[] = [];
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}${unit}`);
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}${unit}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}${unit}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}${unit}`);
  if (s.multipleOf !== undefined) out.push(`multiple of ${s.multipleOf}`);
  return out;
}

/** Allowed values and constraints of one schema, in words. */
export function allowedOf(s: Schema, resolve: (s: Schema) => Schema): string {
  s = resolve(s);
  const alternatives = branchesOf(s);
  if (alternatives.length) {
    const parts = alternatives.map((b) => {
      const words = allowedOf(b, resolve);
      const t = typeOf(b, resolve);
      return words.startsWith('`') || !words ? words || t : `${t} ${words}`;
    });
    const unique = [...new Set(parts)];
    // All alternatives single values (a union of literals): list them like an enum.
    return unique.join(unique.every((p) => /^`[^`]*`$/.test(p)) ? ', ' : ', or ');
  }
  const out: string[] = [];
  if (s.const !== undefined) out.push(code(s.const));
  if (Array.isArray(s.enum)) out.push(s.enum.map(code).join(', '));
  out.push(...bounds(s));
  if (typeof s.pattern === 'string') out.push(`matches ${code(s.pattern)}`);
  if (typeof s.format === 'string') out.push(`format ${s.format}`);
  if (s.minLength !== undefined) out.push(`at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`);
  if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
  if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
  if (s.uniqueItems === true) out.push('no duplicates');
  if (s.minProperties !== undefined) out.push(`at least ${s.minProperties} entr${s.minProperties === 1 ? 'y' : 'ies'}`);
  const keyPatterns = Object.keys((s.patternProperties as Schema | undefined) ?? {});
  if (keyPatterns.length) out.push(`keys match ${keyPatterns.map(code).join(' or ')}`);
  if (s.type === 'array' && isObject(s.items)) {
    const item = allowedOf(s.items, resolve);
    if (item && !isObject(resolve(s.items).properties)) out.push(`items: ${item}`);
  }
  return out.join('; ');
}

/** `{ step: { const: 'split' } }` in an `if` becomes `[{ key: 'step', value: 'split' }]`. */
function conditionsOf(ifSchema: Schema): { key: string; value: unknown }[] {
  const props = (ifSchema.properties as Record<string, Schema> | undefined) ?? {};
  return Object.entries(props).flatMap(([key, p]) =>
    !isObject(p) ? [] : p.const !== undefined ? [{ key, value: p.const }] : Array.isArray(p.enum) ? [{ key, value: p.enum }] : [],
  );
}

/** Walks the keys under `s` (whose own path is `at`) into rows and conditional branches. */
export function walk(s: Schema, at: string, resolve: (s: Schema) => Schema, seen: Set<Schema> = new Set()): Walked {
  s = resolve(s);
  const rows: Row[] = [];
  const branches: Branch[] = [];
  // Recursive definitions ($ref cycles) stop here; real pipeline keys are nowhere near this deep.
  if (seen.has(s) || at.split('.').length > 12) return { rows, branches };
  seen = new Set(seen).add(s);
  const join = (name: string) => (at ? `${at}.${name}` : name);
  const add = (path: string, sub: Schema, required: boolean) => {
    const r = resolve(sub);
    rows.push({
      path,
      type: typeOf(r, resolve),
      required,
      default: r.default === undefined ? undefined : JSON.stringify(r.default),
      allowed: allowedOf(r, resolve),
      description: typeof r.description === 'string' ? r.description : '',
    });
    const inner = walk(r, path, resolve, seen);
    rows.push(...inner.rows);
    branches.push(...inner.branches);
  };
  // "One value or a list of them" (anyOf [X, array of X]) documents X's keys once, not again under `[]`.
  const known = (p: string) => rows.some((r) => r.path === p || (p.startsWith(`${at}[]`) && r.path === at + p.slice(at.length + 2)));
  const merge = (w: Walked) => {
    for (const row of w.rows) if (!known(row.path)) rows.push(row);
    branches.push(...w.branches);
  };

  const required = new Set((s.required as string[] | undefined) ?? []);
  for (const [name, sub] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) {
    if (isObject(sub)) add(join(name), sub, required.has(name));
  }
  for (const sub of Object.values((s.patternProperties as Record<string, Schema> | undefined) ?? {})) {
    if (isObject(sub)) add(join('<name>'), sub, false);
  }
  if (isObject(s.additionalProperties)) add(join('<name>'), s.additionalProperties, false);
  if (isObject(s.items)) merge(walk(s.items, `${at}[]`, resolve, seen));
  for (const alt of branchesOf(s)) merge(walk(alt, at, resolve, seen));

  const conditionals = [...((s.allOf as Schema[] | undefined) ?? []).filter(isObject), s];
  for (const c of conditionals) {
    if (c !== s && !isObject(c.if)) merge(walk(c, at, resolve, seen));
    if (!isObject(c.if) || !isObject(c.then)) continue;
    const then = resolve(c.then);
    const inner = walk(then, '', resolve, seen);
    const only = Object.values((then.properties as Record<string, Schema> | undefined) ?? {});
    const description = only.length === 1 && isObject(only[0]) ? resolve(only[0]).description : undefined;
    branches.push({ base: at, conditions: conditionsOf(c.if), description: typeof description === 'string' ? description : undefined, ...inner });
  }
  return { rows, branches };
}
