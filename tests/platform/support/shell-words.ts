/**
 * Just enough of shell syntax to find the commands a script runs: words with quotes and backslash-newlines joined,
 * commands split at newlines, `&&`, `||`, `;` and `|`. Variables stay as written (`$X`, `${X}`): checks treat them
 * as values.
 */

/** The commands of `script`, each as its list of words. */
export function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    if (ch === '\\' && script[i + 1] === '\n') {
      i++;
      continue;
    }
    if (ch === '\\') {
      word += script[++i] ?? '';
      inWord = true;
    } else if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      word += script.slice(i + 1, end < 0 ? undefined : end);
      inWord = true;
      i = end < 0 ? script.length : end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === '\\' && '"\\$`'.includes(script[j + 1])) j++;
        word += script[j];
      }
      inWord = true;
      i = j;
    } else if (ch === '#' && !inWord) {
      while (i < script.length && script[i] !== '\n') i++;
      endCommand();
    } else if (ch === '\n' || ch === ';' || ch === '|' || (ch === '&' && script[i + 1] === '&')) {
      if ((ch === '|' || ch === '&') && script[i + 1] === ch) i++;
      endCommand();
    } else if (ch === ' ' || ch === '\t') endWord();
    else {
      word += ch;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** Leading `NAME=value` words of a command (environment assignments), and the words after them. */
export function splitAssignments(words: readonly string[]): { env: Record<string, string>; rest: string[] } {
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]); i++) {
    const eq = words[i].indexOf('=');
    env[words[i].slice(0, eq)] = words[i].slice(eq + 1);
  }
  return { env, rest: words.slice(i) };
}

/**
 * The `pipeline` CLI arguments of a command, if it runs the CLI directly: `node bin/pipeline.js ...`,
 * `npm run [--silent] pipeline -- ...`, `npx pipeline ...` or `pipeline ...`.
 */
export function cliArgs(words: readonly string[]): string[] | undefined {
  const w = splitAssignments(words).rest;
  if (w[0] === 'node' && /(^|\/)bin\/pipeline\.js$/.test(w[1] ?? '')) return w.slice(2);
  if (w[0] === 'npx' && w[1] === 'pipeline') return w.slice(2);
  if (w[0] === 'pipeline') return w.slice(1);
  if (w[0] === 'npm' && (w[1] === 'run' || w[1] === 'run-script')) {
    const rest = w.slice(2).filter((x) => x !== '--silent' && x !== '-s');
    if (rest[0] === 'pipeline') return rest[1] === '--' ? rest.slice(2) : rest.slice(1);
  }
  return undefined;
}

/** The arguments of a command that runs the images' entry point (`bash platform/docker/entrypoint.sh ...`). */
export function entrypointArgs(words: readonly string[]): string[] | undefined {
  const w = splitAssignments(words).rest;
  const at = w.findIndex((x) => /(^|\/)platform\/docker\/entrypoint\.sh$/.test(x));
  if (at < 0 || (at === 1 && w[0] !== 'bash' && w[0] !== 'exec') || at > 1) return undefined;
  return w.slice(at + 1);
}

/** The npm script a command runs (`npm run X`, `npm test`, `npm run --silent X -- ...`). */
export function npmScript(words: readonly string[]): string | undefined {
  const w = splitAssignments(words).rest;
  if (w[0] !== 'npm') return undefined;
  if (['test', 't', 'start', 'stop', 'restart'].includes(w[1])) return w[1] === 't' ? 'test' : w[1];
  if (w[1] === 'run' || w[1] === 'run-script') return w.slice(2).find((x) => !x.startsWith('-'));
  return undefined;
}
