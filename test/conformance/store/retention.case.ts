/**
 * Retention conformance (`pruneExecutions`): finished runs past the age go with their steps,
 * logs and log counters; unfinished runs never go, whatever their age; `keepNewest` keeps exactly
 * N finished runs; each call removes at most `limit`; both rules together remove the union.
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord, ExecutionStatus, Store } from '../../../src/store/index.ts';
import {
  execution,
  lines,
  SMALL,
  T0,
  useStores,
  type StoreConformanceOptions,
} from './fixtures.ts';

/** An instant `n` minutes after T0. */
function at(n: number): string {
  return new Date(Date.parse(T0) + n * 60_000).toISOString();
}

/** A run that finished (`status`) at minute `n`, its steps succeeded. */
function finishedRun(n: number, status: ExecutionStatus = 'completed'): ExecutionRecord {
  const ex = execution('w', ['build', 'test']);
  return {
    ...ex,
    status,
    startedAt: at(n - 1),
    finishedAt: at(n),
    steps: ex.steps.map((s) => ({
      ...s,
      status: 'succeeded',
      attempts: 1,
      exitCode: 0,
      startedAt: at(n - 1),
      finishedAt: at(n),
    })),
  };
}

/** A run that is not finished, started long ago. */
function unfinishedRun(status: ExecutionStatus): ExecutionRecord {
  return { ...execution('w', ['build']), status, createdAt: at(-100), startedAt: at(-99) };
}

/** Stores the runs (through createExecution and updateExecution, half each) with log lines. */
async function seed(store: Store, runs: ExecutionRecord[]): Promise<void> {
  for (const [i, run] of runs.entries()) {
    if (i % 2 === 0 || run.finishedAt === null) {
      await store.createExecution(run);
    } else {
      // Finished by an update, as the runtime does.
      await store.createExecution({ ...run, status: 'running', finishedAt: null });
      await store.updateExecution(run.id, { status: run.status, finishedAt: run.finishedAt });
      for (const step of run.steps) await store.putStep(run.id, step);
    }
    await store.appendLogs(run.id, [...lines('build', 0, 8), ...lines('test', 0, 2)]);
  }
}

/** Ids of the stored runs, sorted. */
async function storedIds(store: Store): Promise<string[]> {
  const page = await store.listExecutions({ limit: 500 });
  return page.items.map((e) => e.id).sort();
}

const ids = (runs: ExecutionRecord[]): string[] => runs.map((r) => r.id).sort();

/** Registers the retention cases; call it inside a describe that names the store. */
export function runRetentionConformance(opts: StoreConformanceOptions): void {
  describe('retention', () => {
    const { open } = useStores(opts);

    it('prunes finished runs past the age with their steps and logs, never unfinished ones', async () => {
      const store = await open(SMALL);
      const old = [
        finishedRun(1),
        finishedRun(2, 'failed'),
        finishedRun(3, 'cancelled'),
        finishedRun(4, 'timed_out'),
      ];
      const recent = [finishedRun(10), finishedRun(11)];
      const unfinished = (['pending', 'running', 'awaiting_approval'] as const).map(unfinishedRun);
      await seed(store, [...old, ...recent, ...unfinished]);
      const before = await store.getLogs(old[0]!.id);
      expect(before.truncated).toEqual({ build: 3 });

      expect(await store.pruneExecutions({ finishedBefore: at(5), limit: 100 })).toBe(4);

      expect(await storedIds(store)).toEqual(ids([...recent, ...unfinished]));
      for (const run of old) {
        expect(await store.getExecution(run.id)).toBeUndefined();
        expect(await store.getLogs(run.id)).toEqual({ lines: [], truncated: {} });
        await expect(store.appendLogs(run.id, lines('build', 0, 1))).rejects.toMatchObject({
          code: 'not_found',
        });
      }
      for (const run of [...recent, ...unfinished]) {
        expect((await store.getExecution(run.id))!.steps).toEqual(run.steps);
        expect((await store.getLogs(run.id)).lines).toHaveLength(7);
      }
      expect(ids(await store.listUnfinishedExecutions())).toEqual(ids(unfinished));
      // Nothing is left to prune: unfinished runs are never pruned, however old.
      expect(await store.pruneExecutions({ finishedBefore: at(1000), limit: 100 })).toBe(2);
      expect(await storedIds(store)).toEqual(ids(unfinished));
      expect(await store.pruneExecutions({ keepNewest: 0, limit: 100 })).toBe(0);
    });

    it('keeps exactly the newest N finished runs', async () => {
      const store = await open();
      // Finished out of creation order: the newest are those that finished last.
      const finished = [5, 1, 4, 2, 6, 3].map((n) => finishedRun(n));
      const running = unfinishedRun('running');
      await seed(store, [...finished, running]);

      expect(await store.pruneExecutions({ keepNewest: 4, limit: 100 })).toBe(2);
      const byMinute = (ns: number[]) => ids(finished.filter((r) => ns.includes(minute(r))));
      expect(await storedIds(store)).toEqual(
        ids([running])
          .concat(byMinute([3, 4, 5, 6]))
          .sort(),
      );
      expect(await store.pruneExecutions({ keepNewest: 4, limit: 100 })).toBe(0);

      expect(await store.pruneExecutions({ keepNewest: 1, limit: 100 })).toBe(3);
      expect(await storedIds(store)).toEqual([running.id, ...byMinute([6])].sort());
      expect(await store.pruneExecutions({ keepNewest: 0, limit: 100 })).toBe(1);
      expect(await storedIds(store)).toEqual([running.id]);
    });

    it('removes at most limit runs per call, oldest first', async () => {
      const store = await open();
      const finished = [1, 2, 3, 4, 5].map((n) => finishedRun(n));
      await seed(store, finished);
      const query = { finishedBefore: at(100), limit: 2 };
      expect(await store.pruneExecutions(query)).toBe(2);
      expect(await storedIds(store)).toEqual(ids(finished.slice(2)));
      expect(await store.pruneExecutions(query)).toBe(2);
      expect(await storedIds(store)).toEqual(ids(finished.slice(4)));
      expect(await store.pruneExecutions(query)).toBe(1);
      expect(await store.pruneExecutions(query)).toBe(0);
    });

    it('with both rules, removes what either rule removes', async () => {
      const store = await open();
      const finished = [1, 2, 3, 4, 5, 6].map((n) => finishedRun(n));
      await seed(store, finished);
      // The age rule alone removes minutes 1-2; the count rule alone, minutes 1-3.
      expect(await store.pruneExecutions({ finishedBefore: at(3), keepNewest: 3, limit: 50 })).toBe(
        3,
      );
      expect(await storedIds(store)).toEqual(ids(finished.slice(3)));
      // Now the age rule removes more (minutes 4-5) than the count rule (none).
      expect(await store.pruneExecutions({ finishedBefore: at(6), keepNewest: 3, limit: 50 })).toBe(
        2,
      );
      expect(await storedIds(store)).toEqual(ids(finished.slice(5)));
    });

    it('removes nothing without a rule, and refuses a malformed query by field', async () => {
      const store = await open();
      const run = finishedRun(1);
      await seed(store, [run]);
      expect(await store.pruneExecutions({ limit: 10 })).toBe(0);
      for (const [query, field] of [
        [{ limit: 0 }, 'limit'],
        [{ limit: 10_001 }, 'limit'],
        [{ limit: 1.5 }, 'limit'],
        [{ keepNewest: -1, limit: 10 }, 'keepNewest'],
        [{ finishedBefore: 'yesterday', limit: 10 }, 'finishedBefore'],
      ] as const) {
        await expect(store.pruneExecutions(query)).rejects.toMatchObject({
          code: 'invalid_argument',
          message: expect.stringContaining(field),
        });
      }
      expect(await storedIds(store)).toEqual([run.id]);
      // An instant in another ISO form is normalized: 00:01:00Z is at(1), not before it.
      expect(
        await store.pruneExecutions({ finishedBefore: '2026-01-01T00:01:00Z', limit: 10 }),
      ).toBe(0);
      expect(
        await store.pruneExecutions({ finishedBefore: '2026-01-01T00:01:00.001Z', limit: 10 }),
      ).toBe(1);
    });
  });
}

/** The minute a finishedRun finished at. */
function minute(run: ExecutionRecord): number {
  return (Date.parse(run.finishedAt!) - Date.parse(T0)) / 60_000;
}
