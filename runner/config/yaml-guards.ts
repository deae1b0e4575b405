/**
 * What can go wrong with a YAML file before the schema sees it, each turned into one located, human error instead
 * of a stack trace or a cascade: a file that is missing or too large, an anchor whose alias sits inside itself (a
 * cycle that would overflow the call stack), too many alias expansions (an alias bomb), and `${VAR}` written
 * unquoted inside a flow collection (`{ folds: ${K:-3} }`), where YAML reads its braces as the collection's own.
 */
import fs from 'node:fs';
import type { ConfigIssue } from '../errors.ts';
import { ConfigError, UsageError } from '../errors.ts';
import type { KeyPath } from './source.ts';

/** Pipeline files are small; anything larger is the wrong file (or an attack on the parser). */
export const MAX_PIPELINE_BYTES = 1024 * 1024;

/** Alias expansions allowed when the document is turned into plain values (the yaml library's maxAliasCount). */
export const MAX_ALIAS_COUNT = 1000;

/** Reads a pipeline file, refusing a missing path (usage error: exit 2), a directory or an oversized file. */
export function readPipelineText(file: string, shown: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new UsageError(`pipeline file ${shown} does not exist (check the path; the default is pipelines/food101.yaml)`);
  if (!stat.isFile()) throw new UsageError(`${shown} is not a file: give the path of a pipeline file (YAML)`);
  if (stat.size > MAX_PIPELINE_BYTES) {
    throw new ConfigError([
      { file: shown, line: 1, col: 1, path: '', message: `the file is ${(stat.size / 1024 / 1024).toFixed(1)} MB; a pipeline file may be at most ${MAX_PIPELINE_BYTES / 1024 / 1024} MB (is this the right file?)` },
    ]);
  }
  return fs.readFileSync(file, 'utf8');
}

/** The path of the first value that contains itself (an anchor cycle), if any. */
export function findCycle(value: unknown): KeyPath | undefined {
  const ancestors = new Set<object>();
  const walk = (v: unknown, p: KeyPath): KeyPath | undefined => {
    if (!v || typeof v !== 'object') return undefined;
    if (ancestors.has(v)) return p;
    ancestors.add(v);
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) {
      const found = walk(x, [...p, k]);
      if (found) return found;
    }
    ancestors.delete(v);
    return undefined;
  };
  return walk(value, []);
}

/**
 * Positions of `${` written outside quotes inside a flow collection (`{ ... }`, `[ ... ]`): YAML cannot read
 * them, so the parser's own errors (one per brace) are replaced by one error per expression that says what to do.
 */
export function unquotedFlowExpressions(text: string): { offset: number; expr: string }[] {
  const out: { offset: number; expr: string }[] = [];
  let depth = 0;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      // A quote opens a quoted scalar only at the start of one (after an indicator or a space).
      if (i === 0 || /[\s,[{:]/.test(text[i - 1])) quote = ch;
      continue;
    }
    if (ch === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      if (depth > 0) out.push({ offset: i, expr: text.slice(i, end < 0 ? undefined : end + 1) });
      if (end >= 0) i = end;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && depth > 0) depth--;
  }
  return out;
}

export function flowExpressionIssue(file: string, pos: { line: number; col: number }, expr: string, others: number): ConfigIssue {
  const more = others > 0 ? ` (and ${others} more like it)` : '';
  return {
    file,
    line: pos.line,
    col: pos.col,
    path: '',
    message: `${expr} inside a flow collection { ... } must be quoted: write "${expr}" (YAML reads its braces as the collection's own)${more}`,
  };
}
