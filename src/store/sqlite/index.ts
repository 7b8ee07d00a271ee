/**
 * The embedded store on one SQLite file.
 * Exports: createSqliteStore, resolveSqliteStoreOptions, DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
 * SqliteStoreOptions, ResolvedSqliteStoreOptions, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION,
 * SqliteMigration, WriteBatch (group commit, exported for its tests).
 * @module
 */
export { createSqliteStore } from './sqlite-store.ts';
export {
  resolveSqliteStoreOptions,
  DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
  type SqliteStoreOptions,
  type ResolvedSqliteStoreOptions,
} from './sqlite-options.ts';
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, type SqliteMigration } from './sqlite-schema.ts';
export { WriteBatch } from './sqlite-batch.ts';
