/** Plain aligned text tables for the terminal (last column unpadded). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, i) => (i < r.length - 1 ? (cell ?? '').padEnd(widths[i]) : cell ?? '')).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function fmt(v: number | null | undefined, digits = 4): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export function when(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '-';
}
