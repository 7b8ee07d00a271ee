/**
 * Pruning on SQLite beyond the shared conformance cases: a file written before migration 5
 * (finished runs, no index on finish time) is indexed on upgrade and pruned; the prune queries
 * read the partial index; a large batch gives the event loop turns while it deletes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/ids.ts';
import { createSqliteStore, SQLITE_MIGRATIONS } from '../../../src/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'stator-sqlite-ret-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FINISHED = '2026-01-01T00:00:00.000Z';

/** Inserts `n` finished runs with a step and a log line each, as raw rows. */
function insertFinished(db: Database.Database, n: number): string[] {
  const ids = Array.from({ length: n }, () => newId('ex'));
  const run = db.prepare(
    `INSERT INTO executions (id, workflow_id, status, created_at, started_at, finished_at)
     VALUES (?, 'w', 'completed', ?, ?, ?)`,
  );
  const payload = db.prepare(
    `INSERT INTO execution_payloads (execution_id, input, definition)
     VALUES (?, '{}', '{"id":"w","steps":[]}')`,
  );
  const step = db.prepare(
    `INSERT INTO steps (execution_id, step_id, ordinal, status, attempts) VALUES (?, 'a', 0, 'succeeded', 1)`,
  );
  const log = db.prepare(
    `INSERT INTO logs (execution_id, step_id, stream, line, ts) VALUES (?, 'a', 'stdout', 'hi', ?)`,
  );
  db.transaction(() => {
    for (const id of ids) {
      run.run(id, FINISHED, FINISHED, FINISHED);
      payload.run(id);
      step.run(id);
      log.run(id, FINISHED);
    }
  })();
  return ids;
}

function count(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('sqlite store: retention', () => {
  it('indexes the finished runs of a version-4 file on upgrade and prunes them', async () => {
    const dir = join(root, 'v4');
    mkdirSync(dir);
    const path = join(dir, 'stator.db');
    const db = new Database(path);
    db.pragma('foreign_keys = ON');
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 4)) db.exec(m.sql);
    db.prepare('INSERT INTO schema_version (version) VALUES (4)').run();
    insertFinished(db, 30);
    db.close();

    const store = createSqliteStore({ path });
    expect(await store.pruneExecutions({ keepNewest: 10, limit: 100 })).toBe(20);
    expect(
      await store.pruneExecutions({ finishedBefore: '2026-02-01T00:00:00Z', limit: 100 }),
    ).toBe(10);
    await store.close();
    for (const table of ['executions', 'execution_payloads', 'steps', 'logs']) {
      expect(count(path, table), table).toBe(0);
    }
  });

  it('reads the partial index on finish time, never the table, to find what to prune', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const m of SQLITE_MIGRATIONS) db.exec(m.sql);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join('; ');
    expect(
      plan(
        `SELECT finished_at, id FROM executions INDEXED BY executions_finished
         WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1 OFFSET 5`,
      ),
    ).toMatch(/^SEARCH executions USING COVERING INDEX executions_finished/);
    db.close();
  });

  it('gives the event loop turns while it deletes a large batch', async () => {
    const dir = join(root, 'turns');
    mkdirSync(dir);
    const path = join(dir, 'stator.db');
    await createSqliteStore({ path }).close();
    const db = new Database(path);
    insertFinished(db, 5000);
    db.close();
    const store = createSqliteStore({ path });
    let turns = 0;
    let watching = true;
    const tick = () => {
      turns++;
      if (watching) setImmediate(tick);
    };
    setImmediate(tick);
    const started = performance.now();
    expect(await store.pruneExecutions({ keepNewest: 0, limit: 5000 })).toBe(5000);
    const ms = performance.now() - started;
    watching = false;
    await store.close();
    // At most ~8 ms of deleting between two turns (generous on a loaded machine).
    expect(turns).toBeGreaterThanOrEqual(Math.floor(ms / 100));
    expect(turns).toBeGreaterThan(1);
    expect(count(path, 'logs')).toBe(0);
  });
});
