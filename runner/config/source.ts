/**
 * A parsed YAML file that remembers where every value came from, so that errors can name `file:line:col`.
 */
import fs from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../errors.ts';

export type KeyPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export class YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly #lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.#lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true, merge: true });
  }

  static read(file: string): YamlSource {
    return new YamlSource(file, fs.readFileSync(file, 'utf8'));
  }

  /** YAML syntax errors, with positions. */
  syntaxIssues(): ConfigIssue[] {
    return this.doc.errors.map((e) => {
      const pos = this.#lines.linePos(e.pos[0]);
      return { file: this.file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
    });
  }

  /** The plain value (aliases resolved, merge keys applied). */
  toValue(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
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
