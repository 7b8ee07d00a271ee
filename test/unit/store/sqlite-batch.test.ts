import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createSqliteStore,
  pendingStep,
  WriteBatch,
  type ExecutionRecord,
  type Store,
} from '../../../src/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'stator-batch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** A file database with one table, and a WriteBatch whose commits are counted. */
function batchOnTable() {
  const db = new Database(join(root, `batch-${++n}.db`));
  open.push(db);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  const commits = { count: 0 };
  const original = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const tx = original(fn);
    return Object.assign((...args: never[]) => {
      commits.count++;
      return tx(...args);
    }, tx);
  }) as typeof db.transaction;
  const batch = new WriteBatch(db);
  const put = db.prepare(
    'INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
  );
  const write = (k: string, v: number, row?: string) =>
    batch.write(
      'x1',
      async () => {
        put.run(k, v);
      },
      row,
    );
  const rows = () => db.prepare('SELECT k, v FROM t ORDER BY k').all();
  return { db, batch, commits, write, rows };
}

describe('WriteBatch', () => {
  it('commits the writes of one turn in one transaction, on the next turn', async () => {
    const b = batchOnTable();
    const done = Promise.all([b.write('a', 1), b.write('b', 2), b.write('c', 3)]);
    expect(b.rows()).toEqual([]);
    await done;
    expect(b.commits.count).toBe(1);
    expect(b.rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'c', v: 3 },
    ]);
  });

  it('fails only the write that failed; the others commit', async () => {
    const b = batchOnTable();
    const ok = b.write('a', 1);
    const bad = b.batch.write('x1', async () => {
      throw new Error('constraint');
    });
    const ok2 = b.write('b', 2);
    await expect(bad).rejects.toThrow('constraint');
    await Promise.all([ok, ok2]);
    expect(b.rows()).toHaveLength(2);
  });

  it('coalesces writes of the same row: one statement with the latest value, every caller settled', async () => {
    const b = batchOnTable();
    let applied = 0;
    const counted = (v: number) =>
      b.batch.write(
        'x1',
        async () => {
          applied++;
          b.db.prepare('INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)').run('s', v);
        },
        'row-s',
      );
    const first = counted(1);
    const second = counted(2);
    const other = b.write('t', 9, 'row-t');
    await Promise.all([first, second, other]);
    expect(applied).toBe(1);
    expect(b.rows()).toEqual([
      { k: 's', v: 2 },
      { k: 't', v: 9 },
    ]);
    // After a commit the row key is free again: the next write is a new statement.
    await counted(3);
    expect(applied).toBe(2);
    expect(b.commits.count).toBe(2);
  });

  it('knows which executions have writes waiting', async () => {
    const b = batchOnTable();
    expect(b.batch.touches('x1')).toBe(false);
    const w = b.write('a', 1);
    expect(b.batch.touches('x1')).toBe(true);
    expect(b.batch.touches('x2')).toBe(false);
    b.batch.flush();
    expect(b.batch.touches('x1')).toBe(false);
    await w;
    expect(b.rows()).toEqual([{ k: 'a', v: 1 }]);
  });
});

describe('SQLite store group commit', () => {
  function record(id: string): ExecutionRecord {
    return {
      id,
      workflowId: 'wf',
      status: 'pending',
      input: {},
      createdAt: new Date(0).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition: { id: 'wf', env: {}, concurrency: 1, steps: [] },
      steps: [pendingStep('a')],
    } as unknown as ExecutionRecord;
  }

  async function storeWithPeer(): Promise<{ store: Store; peer: Database.Database }> {
    const path = join(root, `store-${++n}.db`);
    const store = createSqliteStore({ path });
    open.push(store);
    await store.createExecution(record('x1'));
    await store.createExecution(record('x2'));
    const peer = new Database(path, { readonly: true });
    open.push(peer);
    return { store, peer };
  }

  const stepStatus = (peer: Database.Database, id: string) =>
    peer.prepare('SELECT status FROM steps WHERE execution_id = ?').pluck().get(id);

  it('reads an execution with its own writes still waiting', async () => {
    const { store } = await storeWithPeer();
    void store.putStep('x1', { ...pendingStep('a'), status: 'running', attempts: 1 });
    const read = await store.getExecution('x1');
    expect(read?.steps[0]).toMatchObject({ status: 'running', attempts: 1 });
  });

  it("does not commit other executions' writes early when one execution is read", async () => {
    const { store, peer } = await storeWithPeer();
    const pending = store.putStep('x1', { ...pendingStep('a'), status: 'running', attempts: 1 });
    await store.getExecution('x2');
    expect(stepStatus(peer, 'x1')).toBe('pending');
    await pending;
    expect(stepStatus(peer, 'x1')).toBe('running');
  });

  it('creates a burst of executions in one turn and reports a duplicate to its caller only', async () => {
    const { store } = await storeWithPeer();
    const results = await Promise.allSettled([
      store.createExecution(record('x3')),
      store.createExecution(record('x1')),
      store.createExecution(record('x4')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    expect((await store.getExecution('x3'))?.steps).toHaveLength(1);
    expect((await store.getExecution('x4'))?.steps).toHaveLength(1);
  });
});
