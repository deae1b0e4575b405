/** JSON columns: TEXT on SQLite (a string comes back), jsonb on PostgreSQL (pg parses it). */
export function parseJsonColumn<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
