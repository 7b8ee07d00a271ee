import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSqliteStore,
  resolveSqliteStoreOptions,
  SQLITE_MIGRATIONS,
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
        expect.arrayContaining([
          'executions',
          'idempotency_keys',
          'log_counts',
          'logs',
          'steps',
          'trigger_states',
          'workflows',
        ]),
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

  it('migrates a version-1 file and keeps its data', async () => {
    const path = join(root, 'v1', 'stator.db');
    mkdirSync(join(root, 'v1'));
    const db = new Database(path);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    db.exec(SQLITE_MIGRATIONS[0]!.sql);
    db.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    db.prepare(
      `INSERT INTO workflows (id, definition, source, version, created_at, updated_at)
       VALUES ('old', '{"id":"old","steps":[]}', NULL, 4, 't0', 't1')`,
    ).run();
    db.close();
    const store = createSqliteStore({ path });
    expect((await store.getWorkflow('old'))!.version).toBe(4);
    await store.putTriggerState({
      id: 'old-cron-0',
      workflowId: 'old',
      paused: false,
      lastFireAt: null,
      lastResult: null,
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await store.listTriggerStates()).toHaveLength(1);
    await store.close();
    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare('SELECT version FROM schema_version').pluck().get()).toBe(
        SQLITE_SCHEMA_VERSION,
      );
    } finally {
      check.close();
    }
  });

  it('purges expired idempotency claims a bounded batch at a time', async () => {
    const path = join(root, 'purge', 'stator.db');
    const store = createSqliteStore({ path });
    const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes)).toISOString();
    const claimAt = (key: string, minutes: number) =>
      store.claimIdempotencyKey({
        scope: 'hook:p',
        key,
        executionId: `ex_${key}`,
        createdAt: at(minutes),
        expiresAt: at(minutes + 10),
      });
    // 128 claims: the purge after the 64th finds nothing expired, the one after the 128th
    // (made 60 minutes later) removes the first 64.
    for (let i = 0; i < 64; i++) expect((await claimAt(`a${i}`, 0)).created).toBe(true);
    for (let i = 0; i < 64; i++) expect((await claimAt(`b${i}`, 60)).created).toBe(true);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      const keys = db.prepare('SELECT key FROM idempotency_keys ORDER BY key').pluck().all();
      expect(keys).toHaveLength(64);
      expect(keys.every((k) => String(k).startsWith('b'))).toBe(true);
    } finally {
      db.close();
    }
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
