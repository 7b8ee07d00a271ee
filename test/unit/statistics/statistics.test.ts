import { describe, expect, it } from 'vitest';
import { computeStatistics, percentile } from '../../../src/statistics/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import type { ExecutionRecord, ExecutionStatus, Store } from '../../../src/store/index.ts';
import { createIdGenerator } from '../../../src/ids.ts';

const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const MIN = 60_000;

interface Run {
  workflowId: string;
  status: ExecutionStatus;
  /** Minutes before NOW the run was created (and started). */
  agoMin: number;
  durationMs?: number;
  started?: boolean;
}

/** Seeds runs oldest first, so ids (time-sortable) follow creation order as in real use. */
async function seed(runs: Run[]): Promise<Store> {
  const store = createMemoryStore();
  let t = NOW - 10 * 3_600_000;
  const nextId = createIdGenerator(() => t++);
  for (const run of [...runs].sort((a, b) => b.agoMin - a.agoMin)) {
    const created = NOW - run.agoMin * MIN;
    t = created;
    const started = run.started === false ? null : new Date(created).toISOString();
    const finished =
      run.durationMs === undefined ? null : new Date(created + run.durationMs).toISOString();
    const record: ExecutionRecord = {
      id: nextId('ex'),
      workflowId: run.workflowId,
      status: run.status,
      input: {},
      createdAt: new Date(created).toISOString(),
      startedAt: started,
      finishedAt: finished,
      error: null,
      engineId: null,
      node: null,
      definition: { id: run.workflowId, env: {}, concurrency: 1, steps: [] },
      steps: [],
    };
    await store.createExecution(record);
  }
  return store;
}

const KNOWN: Run[] = [
  { workflowId: 'alpha', status: 'completed', agoMin: 50, durationMs: 1000 },
  { workflowId: 'alpha', status: 'completed', agoMin: 40, durationMs: 2000 },
  { workflowId: 'alpha', status: 'completed', agoMin: 30, durationMs: 3000 },
  { workflowId: 'alpha', status: 'failed', agoMin: 20, durationMs: 4000 },
  { workflowId: 'alpha', status: 'completed', agoMin: 10, durationMs: 10_000 },
  { workflowId: 'alpha', status: 'running', agoMin: 1 },
  // Outside a 1 h window.
  { workflowId: 'alpha', status: 'completed', agoMin: 120, durationMs: 99_000 },
  { workflowId: 'beta', status: 'cancelled', agoMin: 5, durationMs: 0, started: false },
];

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile(values, 100)).toBe(20);
    expect(percentile(values, 50)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 95)).toBeNull();
  });
});

describe('computeStatistics', () => {
  it('computes runs, success rate, mean and p95 duration and throughput per workflow', async () => {
    const store = await seed(KNOWN);
    const stats = await computeStatistics(store, { windowMs: 3_600_000 }, { now: NOW });
    expect(stats).toMatchObject({
      windowMs: 3_600_000,
      from: '2026-11-22T11:00:00.000Z',
      to: '2026-11-22T12:00:00.000Z',
      truncated: false,
    });
    expect(stats.workflows.map((w) => w.workflowId)).toEqual(['alpha', 'beta']);
    expect(stats.workflows[0]).toEqual({
      workflowId: 'alpha',
      runs: 6,
      finished: 5,
      byStatus: { completed: 4, failed: 1, running: 1 },
      successRate: 0.8,
      meanDurationMs: 4000,
      p95DurationMs: 10_000,
      throughputPerMinute: Math.round((5 / 60) * 1000) / 1000,
    });
    // Cancelled before it started: it counts as finished, without a duration.
    expect(stats.workflows[1]).toEqual({
      workflowId: 'beta',
      runs: 1,
      finished: 1,
      byStatus: { cancelled: 1 },
      successRate: 0,
      meanDurationMs: null,
      p95DurationMs: null,
      throughputPerMinute: Math.round((1 / 60) * 1000) / 1000,
    });
    await store.close();
  });

  it('widens with the window and filters by workflow', async () => {
    const store = await seed(KNOWN);
    const wide = await computeStatistics(store, { windowMs: 3 * 3_600_000 }, { now: NOW });
    const alpha = wide.workflows.find((w) => w.workflowId === 'alpha')!;
    expect(alpha.runs).toBe(7);
    expect(alpha.p95DurationMs).toBe(99_000);
    const only = await computeStatistics(
      store,
      { windowMs: 3_600_000, workflowId: 'beta' },
      { now: NOW },
    );
    expect(only.workflows.map((w) => w.workflowId)).toEqual(['beta']);
    const none = await computeStatistics(
      store,
      { windowMs: 3_600_000, workflowId: 'x' },
      { now: NOW },
    );
    expect(none.workflows).toEqual([]);
    await store.close();
  });

  it('stops at the window start and at maxScan, saying when it was truncated', async () => {
    const many: Run[] = Array.from({ length: 1200 }, (_, i) => ({
      workflowId: 'gamma',
      status: 'completed',
      agoMin: 59 - (i % 50) - i / 10_000,
      durationMs: 100,
    }));
    const old: Run[] = Array.from({ length: 2000 }, (_, i) => ({
      workflowId: 'gamma',
      status: 'completed',
      agoMin: 300 + i,
      durationMs: 100,
    }));
    const store = await seed([...many, ...old]);
    const full = await computeStatistics(store, { windowMs: 3_600_000 }, { now: NOW });
    expect(full.truncated).toBe(false);
    expect(full.workflows[0]!.runs).toBe(1200);
    // Pages of 500 newest first: the third page reaches past the window start, the fourth lies
    // wholly before it and ends the scan; the 1,200 older runs after it are never read.
    expect(full.scanned).toBe(2000);
    const capped = await computeStatistics(
      store,
      { windowMs: 3_600_000 },
      { now: NOW, maxScan: 700 },
    );
    expect(capped).toMatchObject({ truncated: true, scanned: 700 });
    expect(capped.workflows[0]!.runs).toBe(700);
    await store.close();
  });

  it('refuses a window that is not positive', async () => {
    const store = createMemoryStore();
    await expect(computeStatistics(store, { windowMs: 0 }, { now: NOW })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await store.close();
  });
});
