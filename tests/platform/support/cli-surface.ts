/**
 * Checks a `pipeline ...` command line, as a Dockerfile, compose file, workflow, entry point or MLproject writes it,
 * against the real command tree (`buildProgram()`): the subcommand exists, every option exists on it, and the
 * positional arguments fit. So renaming a command or an option breaks these tests, not a deployment.
 */
import type { Command, Option } from 'commander';
import { product } from '../../../app/product.ts';
import { buildProgram } from '../../../runner/cli/program.ts';

let cached: Command | undefined;
export function program(): Command {
  return (cached ??= buildProgram(product));
}

/** The subcommand at `path` (e.g. ['registry', 'show']), or undefined. */
export function findCommand(path: readonly string[]): Command | undefined {
  let cmd: Command | undefined = program();
  for (const name of path) cmd = cmd?.commands.find((c) => c.name() === name || c.aliases().includes(name));
  return cmd;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((opt) => opt.long === flag || opt.short === flag || (opt.negate && opt.long === flag));
    if (o) return o;
  }
  return undefined;
}

/** Problems with `argv` (the words after `pipeline`); empty when the command line is valid. */
export function checkInvocation(argv: readonly string[]): string[] {
  const where = `pipeline ${argv.join(' ')}`;
  let cmd = program();
  let i = 0;
  while (i < argv.length && cmd.commands.length) {
    const sub = cmd.commands.find((c) => c.name() === argv[i] || c.aliases().includes(argv[i]));
    if (!sub) break;
    cmd = sub;
    i++;
  }
  if (cmd === program()) return [`${where}: no such command '${argv[0] ?? ''}' (commands: ${program().commands.map((c) => c.name()).join(', ')})`];
  if (cmd.commands.length) return [`${where}: '${cmd.name()}' needs a subcommand (${cmd.commands.map((c) => c.name()).join(', ')})`];
  const problems: string[] = [];
  const positionals: string[] = [];
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      positionals.push(word);
      continue;
    }
    const [flag, inline] = word.startsWith('--') && word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    if (flag === '--help' || flag === '-h') continue;
    const opt = findOption(cmd, flag);
    if (!opt) {
      problems.push(`${where}: '${cmd.name()}' has no option ${flag} (it has: ${cmd.options.map((o) => o.long ?? o.short).join(', ') || 'none'})`);
      continue;
    }
    const takesValue = opt.required || opt.optional;
    if (!takesValue && inline !== undefined) problems.push(`${where}: ${flag} takes no value`);
    if (opt.required && inline === undefined) {
      if (i + 1 >= argv.length) problems.push(`${where}: ${flag} needs a value`);
      i++;
    }
  }
  for (const o of cmd.options.filter((x) => x.mandatory)) {
    if (!argv.some((w) => w === o.long || w === o.short || w.startsWith(`${o.long}=`))) problems.push(`${where}: ${o.long} is required`);
  }
  const declared = cmd.registeredArguments;
  const needed = declared.filter((a) => a.required).length;
  const variadic = declared.some((a) => a.variadic);
  if (positionals.length < needed) problems.push(`${where}: '${cmd.name()}' needs ${needed} argument(s) (${declared.map((a) => a.name()).join(', ')}), got ${positionals.length}`);
  if (!variadic && positionals.length > declared.length) problems.push(`${where}: '${cmd.name()}' takes ${declared.length} argument(s), got ${positionals.length}: ${positionals.join(' ')}`);
  return problems;
}
