/**
 * The embedded store: one SQLite file through better-sqlite3 (WAL, synchronous=NORMAL, foreign
 * keys), one role object per concern (sqlite-workflows.ts, sqlite-executions.ts,
 * sqlite-logs.ts, sqlite-triggers.ts, sqlite-claims.ts, sqlite-sessions.ts) on one connection.
 * Run-time writes go through group commit (sqlite-batch.ts); the whole is behind checkedStore.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { checkedStore } from '../checked-store.ts';
import type { Store } from '../types.ts';
import { WriteBatch, withGroupCommit } from './sqlite-batch.ts';
import { createSqliteClaims } from './sqlite-claims.ts';
import { createSqliteExecutions } from './sqlite-executions.ts';
import { createSqliteLogs } from './sqlite-logs.ts';
import { resolveSqliteStoreOptions, type SqliteStoreOptions } from './sqlite-options.ts';
import { migrateSqlite } from './sqlite-schema.ts';
import { createSqliteSessions } from './sqlite-sessions.ts';
import { createSqliteTriggers } from './sqlite-triggers.ts';
import { createSqliteWorkflows } from './sqlite-workflows.ts';

/** Opens (creating and migrating when needed) a SQLite store. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const opts = resolveSqliteStoreOptions(options);
  if (opts.path !== ':memory:') mkdirSync(dirname(resolve(opts.path)), { recursive: true });
  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs });
  try {
    if (opts.exclusive) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrateSqlite(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const inner: Store = {
    kind: 'sqlite',
    ...createSqliteWorkflows(db),
    ...createSqliteExecutions(db),
    ...createSqliteLogs(db, opts),
    ...createSqliteTriggers(db),
    ...createSqliteSessions(db),
    ...createSqliteClaims(db),
    async close() {
      db.close();
    },
  };
  return checkedStore(withGroupCommit(inner, new WriteBatch(db)), opts);
}
