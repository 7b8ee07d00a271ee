/**
 * Retention on the whole service (SQLite store, real runs): many finished runs and one long run;
 * the pruner, on a short interval, removes finished runs beyond the count at once and the rest
 * once the service's clock has moved past their age, with their steps and logs; the long run
 * is never touched and completes normally afterwards; /health reports what is kept and pruned.
 * The service's clock is the system clock moved forward by an offset (real timers), so "31 days
 * later" needs no waiting and no simulated timers under the runs.
 */
import { writeFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../src/clock.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import type { Health, RetentionStatus } from '../../../src/runtime/index.ts';
import type { ExecutionRecord } from '../../../src/store/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const DAY = 86_400_000;
const QUICK_RUNS = 60;

/** The system clock, `offset` ms ahead. */
function offsetClock(): Clock & { offset: number } {
  const clock = { ...systemClock, offset: 0, now: () => Date.now() + clock.offset };
  return clock;
}

/** Rows of the run tables in the service's SQLite file: of the only run left, and of others. */
function rowsByExecution(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'stator.db'), { readonly: true });
  try {
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    const out: Record<string, number> = {
      executions: count('SELECT COUNT(*) FROM executions'),
    };
    let other = 0;
    for (const table of ['execution_payloads', 'steps', 'log_counts', 'logs']) {
      out[table] = count(`SELECT COUNT(DISTINCT execution_id) FROM ${table}`);
      other += count(
        `SELECT COUNT(*) FROM ${table} WHERE execution_id NOT IN (SELECT id FROM executions)`,
      );
    }
    out.other = other;
    return out;
  } finally {
    db.close();
  }
}

const fixture = useStator({ start: 'manual' });

describe('retention on the service', () => {
  it('prunes finished runs with their logs while a long run goes on and completes', async () => {
    const clock = offsetClock();
    const h = await fixture.start({
      clock,
      retention: { keep: '30d,20 runs', firstPassDelayMs: 50, intervalMs: 50, batchSize: 7 },
    });
    const app = createHttpApp({ stator: h.stator });
    const health = async () => {
      const res = await app.request('/health');
      expect(res.status).toBe(200);
      return ((await res.json()) as Health).retention!;
    };
    const gate = join(fixture.files, 'gate');
    await h.stator.registerWorkflow({
      id: 'quick',
      steps: [
        { id: 'say', exec: ['echo', 'hello'] },
        { id: 'after', needs: ['say'], noop: true },
      ],
    });
    await h.stator.registerWorkflow({
      id: 'long',
      env: { GATE: gate },
      steps: [
        { id: 'wait', run: 'echo waiting; while [ ! -f "$GATE" ]; do sleep 0.02; done; echo done' },
      ],
    });
    expect(await health()).toMatchObject({ keep: '30d,20 runs', maxAgeMs: 30 * DAY, keepRuns: 20 });

    const long = await h.stator.execute('long');
    await waitFor(async () => (await h.stator.getExecution(long.executionId)).status === 'running');
    // Waited for from their start: the oldest are pruned while the others still run.
    const quick: string[] = [];
    const finishing: Array<Promise<ExecutionRecord>> = [];
    for (let i = 0; i < QUICK_RUNS; i++) {
      const { executionId } = await h.stator.execute('quick');
      quick.push(executionId);
      finishing.push(h.finish(executionId, 30_000));
    }
    const records = await Promise.all(finishing);
    expect(records.every((r) => r.status === 'completed')).toBe(true);
    // The newest by finish time (runs overlap, so not quite creation order).
    const newest = records
      .sort((a, b) => a.finishedAt!.localeCompare(b.finishedAt!) || a.id.localeCompare(b.id))
      .slice(-20)
      .map((r) => r.id);

    // The count bound: the 40 oldest finished runs go, 20 stay, whatever their age.
    await waitFor(async () => (await health()).totalPruned === QUICK_RUNS - 20, {
      message: 'count bound applied',
      timeoutMs: 20_000,
    });
    const afterCount = await h.stator.listExecutions({ workflowId: 'quick', limit: 500 });
    expect(afterCount.items.map((e) => e.id).sort()).toEqual([...newest].sort());
    expect(await h.stator.logs(newest[0]!)).toContain('hello');
    const gone = quick.filter((id) => !newest.includes(id));
    await expect(h.stator.getExecution(gone[0]!)).rejects.toMatchObject({ code: 'not_found' });

    // 31 days later on the service's clock: every finished run is past the age.
    clock.offset += 31 * DAY;
    await waitFor(async () => (await health()).totalPruned === QUICK_RUNS, {
      message: 'age bound applied',
      timeoutMs: 20_000,
    });
    expect((await h.stator.listExecutions({ workflowId: 'quick' })).items).toEqual([]);
    await expect(h.stator.getExecution(newest[0]!)).rejects.toMatchObject({ code: 'not_found' });
    // Nothing of them is left in the database: rows of the long run only.
    expect(rowsByExecution(h.dataDir)).toEqual({
      executions: 1,
      execution_payloads: 1,
      steps: 1,
      log_counts: 1,
      logs: 1,
      other: 0,
    });
    const status: RetentionStatus = await health();
    expect(status.lastError).toBeNull();
    expect(Date.parse(status.lastPruneAt!)).toBeGreaterThan(Date.now() + 30 * DAY);
    expect(status.nextPruneAt).not.toBeNull();

    // The long run was never touched: it runs on and completes normally.
    expect((await h.stator.getExecution(long.executionId)).status).toBe('running');
    await writeFile(gate, 'open');
    const done = await h.finish(long.executionId, 30_000);
    expect(done.status).toBe('completed');
    expect(await h.stator.logs(long.executionId)).toMatch(/waiting[\s\S]*done/);
    // Finished just now (service time), it is kept.
    const kept = await h.stator.listExecutions();
    expect(kept.items.map((e) => e.id)).toEqual([long.executionId]);
  });
});
