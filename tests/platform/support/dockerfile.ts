/**
 * A small Dockerfile reader for static checks (no Docker engine here): instructions with their line numbers,
 * continuation lines joined, comments and parser directives dropped, exec-form (JSON) arguments decoded.
 */
import fs from 'node:fs';

export interface Instruction {
  readonly line: number;
  /** Upper case: FROM, RUN, COPY, ... */
  readonly name: string;
  /** Everything after the name, continuation lines joined with a space. */
  readonly args: string;
}

export const KNOWN_INSTRUCTIONS = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG',
  'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL', 'MAINTAINER',
]);

export function parseDockerfile(file: string): Instruction[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!buffer && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (buffer && trimmed.startsWith('#')) return; // comments inside a continued instruction
    if (!buffer) start = i + 1;
    if (trimmed.endsWith('\\')) {
      buffer += `${trimmed.slice(0, -1).trim()} `;
      return;
    }
    const text = (buffer + trimmed).trim();
    buffer = '';
    const m = /^(\S+)\s*(.*)$/s.exec(text)!;
    out.push({ line: start, name: m[1].toUpperCase(), args: m[2] });
  });
  return out;
}

/** The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const text = args.trim();
  if (!text.startsWith('[')) return undefined;
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface CopySpec {
  readonly from?: string;
  readonly sources: string[];
  readonly dest: string;
}

/** COPY/ADD: `--from`, sources and destination (flags such as --chmod dropped). */
export function copySpec(args: string): CopySpec {
  const words = execForm(args) ?? args.trim().split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

/** Names of the stages (`FROM x AS name`) and the images or stages each FROM starts from, in order. */
export function stages(instructions: readonly Instruction[]): { name?: string; from: string; line: number }[] {
  return instructions
    .filter((i) => i.name === 'FROM')
    .map((i) => {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      return { from: words[0], name: words[1]?.toUpperCase() === 'AS' ? words[2] : undefined, line: i.line };
    });
}

/** `ARG NAME=default` values declared anywhere in the file. */
export function argDefaults(instructions: readonly Instruction[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const i of instructions.filter((x) => x.name === 'ARG')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(i.args.trim());
    if (m) out[m[1]] = m[2]?.replace(/^"(.*)"$/, '$1') ?? out[m[1]];
  }
  return out;
}
