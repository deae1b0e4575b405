/**
 * A parsed YAML file that remembers where every value came from, so that errors can name `file:line:col`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { findCycle, flowExpressionIssue, MAX_ALIAS_COUNT, readPipelineText, unquotedFlowExpressions } from './yaml-guards.ts';

export type KeyPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export class YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly #lines: LineCounter;
  readonly #text: string;
  /** The file's name as errors show it. */
  shown: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.shown = file;
    this.#text = text;
    this.#lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true, merge: true });
  }

  /** Reads `file` (missing: UsageError; over the size cap: ConfigError). `shown` is its name in messages. */
  static read(file: string, shown = file): YamlSource {
    const source = new YamlSource(file, readPipelineText(file, shown));
    source.shown = shown;
    return source;
  }

  /** YAML syntax errors, with positions; unquoted `${...}` in a flow collection gives one error saying to quote it. */
  syntaxIssues(): ConfigIssue[] {
    if (!this.doc.errors.length) return [];
    const exprs = unquotedFlowExpressions(this.#text);
    if (exprs.length) return [flowExpressionIssue(this.file, this.#lines.linePos(exprs[0].offset), exprs[0].expr, exprs.length - 1)];
    return this.doc.errors.map((e) => {
      const pos = this.#lines.linePos(e.pos[0]);
      return { file: this.file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
    });
  }

  /**
   * The plain value (aliases resolved, merge keys applied). An alias bomb or an anchor cycle is a ConfigError
   * located at the alias, not the library's raw error or a stack overflow later.
   */
  toValue(): unknown {
    let value: unknown;
    try {
      value = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (!/alias/i.test((err as Error).message)) throw err;
      throw this.#error(this.#firstAlias(), `too many alias expansions (more than ${MAX_ALIAS_COUNT}): the anchors and aliases multiply; write the values out or use fewer aliases`);
    }
    const cycle = findCycle(value);
    if (cycle) throw this.#error(this.locate(cycle), `anchor cycle: the alias at ${formatPath(cycle)} refers to a value that contains it; an anchor cannot include itself`, cycle);
    return value;
  }

  #error(pos: Position | undefined, message: string, path: KeyPath = []): ConfigError {
    return new ConfigError([{ file: this.shown, line: pos?.line, col: pos?.col, path: formatPath(path), message }]);
  }

  #firstAlias(): Position | undefined {
    let found: Position | undefined;
    visit(this.doc, { Alias: (_key, node) => {
      found = this.#position(node);
      return visit.BREAK;
    } });
    return found;
  }

  /**
   * Where the value at `path` is written (or its key, with `key: true`). A path that goes past what exists
   * resolves to the deepest node that does, which is where a missing key belongs.
   */
  locate(path: KeyPath, opts: { key?: boolean } = {}): Position | undefined {
    let node: unknown = this.doc.contents;
    let keyNode: unknown;
    for (const [index, segment] of path.entries()) {
      node = this.#deref(node);
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair) {
          keyNode = pair.key;
          next = pair.value ?? pair.key;
        }
      } else if (isSeq(node) && /^\d+$/.test(String(segment))) {
        next = node.items[Number(segment)];
        keyNode = next;
      }
      if (next === undefined) break;
      node = next;
      if (index === path.length - 1 && opts.key && keyNode) node = keyNode;
    }
    return this.#position(node);
  }

  #deref(node: unknown): unknown {
    let current = node;
    for (let i = 0; i < 100 && isAlias(current); i++) current = current.resolve(this.doc);
    return current;
  }

  #position(node: unknown): Position | undefined {
    const range = (node as Node | undefined)?.range;
    if (!range) return undefined;
    return this.#lines.linePos(range[0]);
  }
}

/** `stages.train.with.lr` style path text. */
export function formatPath(path: KeyPath): string {
  return path.map(String).join('.');
}
