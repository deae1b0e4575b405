/** `.dockerignore` matching (Go filepath.Match patterns, `**`, `!` exceptions, last match wins), for static checks. */
import fs from 'node:fs';

function toRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern matching a directory excludes everything below it.
  return new RegExp(`^${re}(/.*)?$`);
}

export function readDockerignore(file: string): { pattern: RegExp; negate: boolean; text: string }[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const text = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { pattern: toRegex(text), negate, text };
    });
}

/** True when `relPath` (relative to the build context, `/`-separated) is left out of the context. */
export function ignored(rules: ReturnType<typeof readDockerignore>, relPath: string): boolean {
  let out = false;
  for (const r of rules) if (r.pattern.test(relPath)) out = !r.negate;
  return out;
}
