import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSqliteStore,
  resolveSqliteStoreOptions,
  SQLITE_SCHEMA_VERSION,
  type SqliteStoreOptions,
  type Store,
  type StoreLimits,
} from '../../../src/store/index.ts';
import { runStoreConformance } from '../../conformance/store.case.ts';

const root = mkdtempSync(join(tmpdir(), 'stator-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
const optionsOf = new WeakMap<Store, SqliteStoreOptions>();

function openAt(options: SqliteStoreOptions): Store {
  const store = createSqliteStore(options);
  optionsOf.set(store, options);
  return store;
}

runStoreConformance({
  name: 'sqlite',
  create: async (limits?: Partial<StoreLimits>) =>
    openAt({ path: join(root, `conf-${++counter}`, 'stator.db'), ...limits }),
  reopen: async (old) => {
    const options = optionsOf.get(old)!;
    await old.close();
    return openAt(options);
  },
});

describe('createSqliteStore', () => {
  it('creates missing directories and sets up WAL, foreign keys and the schema version', async () => {
    const path = join(root, 'nested', 'deeper', 'stator.db');
    const store = createSqliteStore({ path });
    await store.close();
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([
        { version: SQLITE_SCHEMA_VERSION },
      ]);
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(
        expect.arrayContaining(['executions', 'log_counts', 'logs', 'steps', 'workflows']),
      );
    } finally {
      db.close();
    }
  });

  it('reopens a migrated file without migrating again', async () => {
    const path = join(root, 'twice', 'stator.db');
    await createSqliteStore({ path }).close();
    const store = createSqliteStore({ path });
    await store.putWorkflow({
      id: 'w',
      definition: { id: 'w', env: {}, concurrency: 1, steps: [] },
      version: 1,
      createdAt: 'a',
      updatedAt: 'a',
    });
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM schema_version').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(root, 'newer', 'stator.db');
    await createSqliteStore({ path }).close();
    const db = new Database(path);
    db.prepare('UPDATE schema_version SET version = ?').run(SQLITE_SCHEMA_VERSION + 1);
    db.close();
    expect(() => createSqliteStore({ path })).toThrow(/newer than this build/);
  });

  it('works on a private in-memory database', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    expect(await store.listWorkflows()).toEqual({ items: [], nextCursor: null });
    await store.close();
  });

  it('resolves options with defaults and names bad fields', () => {
    expect(resolveSqliteStoreOptions({ path: 'x.db' })).toEqual({
      path: 'x.db',
      busyTimeoutMs: 5000,
      exclusive: false,
      maxLogLinesPerStep: 1000,
      maxLineLength: 8192,
    });
    expect(() => resolveSqliteStoreOptions({ path: '' })).toThrow(/path/);
    expect(() => resolveSqliteStoreOptions({ path: 'x', busyTimeoutMs: -1 })).toThrow(
      /busyTimeoutMs/,
    );
    expect(() => resolveSqliteStoreOptions({ path: 'x', maxLineLength: 0 })).toThrow(
      /maxLineLength/,
    );
  });
});
