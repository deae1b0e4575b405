/**
 * Portable placeholders: stores write `?`; PostgreSQL wants `$1, $2, ...`. The scan skips quoted strings,
 * quoted identifiers and comments, so a `?` inside a literal is left alone.
 */

/** `?` -> `$n` (numbered from `first`); returns the SQL and how many placeholders it numbered. */
export function numberPlaceholders(sql: string, first = 1): { sql: string; count: number } {
  let out = '';
  let n = first;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      const end = closing(sql, i, ch);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length - 1 : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (ch === '?') {
      out += `$${n++}`;
    } else {
      out += ch;
    }
  }
  return { sql: out, count: n - first };
}

/** Index of the quote closing the one at `start` (a doubled quote is an escaped quote). */
function closing(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) { i++; continue; }
    return i;
  }
  throw new Error(`unterminated ${quote} in SQL: ${sql.slice(start, start + 60)}`);
}

/**
 * Splits a single-row `INSERT ... VALUES (...) rest` into its head, its row tuple and the rest, so that a
 * multi-row statement can be built from it. Throws naming the SQL when it is not of that shape.
 */
export function splitValues(sql: string): { head: string; tuple: string; tail: string } {
  const m = /^([\s\S]*?\bVALUES\s*)(\([^()]*\))([\s\S]*)$/i.exec(sql);
  if (!m) throw new Error(`execMany needs a single-row 'INSERT ... VALUES (?, ...)' statement, got: ${sql.slice(0, 80)}`);
  return { head: m[1], tuple: m[2], tail: m[3] };
}

/** `head (t1), (t2), ... tail` for `rows` rows, placeholders numbered in order. */
export function multiRowInsert(sql: string, rows: number): string {
  const { head, tuple, tail } = splitValues(sql);
  const perRow = numberPlaceholders(tuple).count;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(numberPlaceholders(tuple, 1 + r * perRow).sql);
  const headSql = numberPlaceholders(head);
  if (headSql.count) throw new Error(`execMany: placeholders before VALUES are not supported: ${sql.slice(0, 80)}`);
  const tailSql = numberPlaceholders(tail);
  if (tailSql.count) throw new Error(`execMany: placeholders after VALUES are not supported: ${sql.slice(0, 80)}`);
  return `${head}${tuples.join(', ')}${tail}`;
}
