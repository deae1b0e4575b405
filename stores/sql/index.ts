/** The SQL layer: one async interface, SQLite and PostgreSQL dialects, URL selection, migrations. */
export type { Dialect, Row, SqlClient, SqlQueryable, SqlTx, SqlValue, TransactionOptions } from './types.ts';
export { SqliteClient, type SqliteOptions } from './sqlite.ts';
export { PostgresClient, redactUrl } from './postgres.ts';
export { openSql, parseStoreUrl, describeLocation, type StoreLocation, type OpenSqlOptions } from './open.ts';
export { migrate, type Migration, type MigrationSet, type MigrateResult } from './migrate.ts';
export { parseJsonColumn } from './json.ts';
export { StoreBusyError, StoreOpenError, StoreUrlError } from './sql-errors.ts';
