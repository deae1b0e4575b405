/** Markdown building blocks for the report: number formatting, escaped table cells, tables, image links. */
import path from 'node:path';

/** A number with fixed decimals; `null`, `undefined` and non-finite values read "n/a". */
export function fixed(value: number | null | undefined, decimals: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** "0.8123 ± 0.0100". */
export function plusMinus(stat: { mean: number; std: number }, decimals: number): string {
  return `${fixed(stat.mean, decimals)} ± ${fixed(stat.std, decimals)}`;
}

/** Text made safe for a table cell: pipes escaped, line breaks flattened. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code, safe for a table cell. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/** `lr=0.001, epochs=30`; nested values as JSON; "—" for no params. */
export function formatParams(params: Record<string, unknown>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length > 0 ? parts.join(', ') : '—';
}

/** A GitHub-flavoured Markdown table; cells are expected to be escaped already. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const rule = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/**
 * An image link. Paths are used as given (relative to the report); an absolute path is made relative to
 * `reportDir` when one is known. Spaces and parentheses are percent-encoded so the link survives Markdown.
 */
export function image(alt: string, file: string, reportDir?: string): string {
  const rel = reportDir !== undefined && path.isAbsolute(file) ? path.relative(reportDir, file) : file;
  const url = encodeURI(rel.split(path.sep).join('/')).replace(/\(/g, '%28').replace(/\)/g, '%29');
  return `![${alt.replace(/[[\]]/g, '')}](${url})`;
}
