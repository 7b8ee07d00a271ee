/**
 * A run's new step records (a forEach adds one per instance, up to 10,000) each take the next
 * ordinal from an index (migration 8), not from a scan of the run's steps: 10,000 of them
 * stored in order, and the query plan reads the index.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../../src/store/index.ts';
import { execution, pending } from '../../conformance/store/fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'stator-sqlite-ordinal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sqlite: steps added to a run', () => {
  it('keep their order, 10,000 of them, from an index', async () => {
    const path = join(root, 'stator.db');
    const store = createSqliteStore({ path });
    try {
      const run = execution('w', ['each']);
      await store.createExecution(run);
      for (let n = 0; n < 10_000; n++) {
        await store.putStep(run.id, { ...pending(`each[${n}]`), status: 'succeeded', attempts: 1 });
      }
      const record = await store.getExecution(run.id);
      expect(record?.steps).toHaveLength(10_001);
      expect(record?.steps.slice(0, 3).map((s) => s.id)).toEqual(['each', 'each[0]', 'each[1]']);
      expect(record?.steps.at(-1)?.id).toBe('each[9999]');
    } finally {
      await store.close();
    }
    // The next ordinal comes from the index (a scan of the run's rows made 10,000 inserts ~4 s).
    const db = new Database(path, { readonly: true });
    try {
      const plan = db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT COALESCE(MAX(ordinal) + 1, 0) FROM steps WHERE execution_id = ?',
        )
        .all('x') as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/steps_by_ordinal/);
    } finally {
      db.close();
    }
  });
});
