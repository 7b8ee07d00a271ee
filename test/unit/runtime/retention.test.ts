import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { systemClock, type Clock } from '../../../src/clock.ts';
import { newId } from '../../../src/ids.ts';
import {
  Retention,
  resolveRetentionOptions,
  type RetentionOptions,
} from '../../../src/runtime/index.ts';
import {
  createMemoryStore,
  type ExecutionRecord,
  type PruneQuery,
  type Store,
} from '../../../src/store/index.ts';
import { waitFor } from '../../helpers/poll.ts';

const DAY = 86_400_000;
const START = Date.parse('2026-03-01T00:00:00.000Z');
const logger = pino({ level: 'silent' });

/** A run of workflow `w` finished `daysAgo` days before START, or unfinished (`null`). */
function run(daysAgo: number | null): ExecutionRecord {
  const at = (d: number) => new Date(START - d * DAY).toISOString();
  return {
    id: newId('ex'),
    workflowId: 'w',
    status: daysAgo === null ? 'running' : 'completed',
    input: {},
    createdAt: at(daysAgo ?? 400),
    startedAt: at(daysAgo ?? 400),
    finishedAt: daysAgo === null ? null : at(daysAgo),
    error: null,
    engineId: null,
    node: null,
    definition: { id: 'w', env: {}, concurrency: 1, steps: [] },
    steps: [],
  };
}

/** A memory store holding `runs`, whose prune calls are recorded. */
async function storeWith(runs: ExecutionRecord[]) {
  const store = createMemoryStore();
  for (const r of runs) await store.createExecution(r);
  const calls: Array<{ query: PruneQuery; removed: number }> = [];
  const pruning: Pick<Store, 'pruneExecutions'> = {
    async pruneExecutions(query) {
      const removed = await store.pruneExecutions(query);
      calls.push({ query, removed });
      return removed;
    },
  };
  return { store, pruning, calls };
}

function retention(
  store: Pick<Store, 'pruneExecutions'>,
  options: RetentionOptions,
  clock: Clock = simulated(),
) {
  return new Retention({ store, clock, logger }, resolveRetentionOptions(options));
}

function simulated(): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(START);
  return clock;
}

describe('retention options', () => {
  it('defaults to 30d, every 10 minutes from a minute after start, 500 per batch', () => {
    expect(resolveRetentionOptions()).toEqual({
      policy: { maxAgeMs: 30 * DAY },
      setting: '30d',
      intervalMs: 600_000,
      firstPassDelayMs: 60_000,
      batchSize: 500,
    });
  });

  it('takes a policy object and refuses bad values by field', () => {
    expect(resolveRetentionOptions({ keep: { keepRuns: 5 } }).setting).toBe('5 runs');
    expect(() => resolveRetentionOptions({ keep: '5 apples' })).toThrow(/^retention\.keep: /);
    expect(() => resolveRetentionOptions({ keep: { maxAgeMs: 10 } })).toThrow(/retention\.keep/);
    expect(() => resolveRetentionOptions({ batchSize: 0 })).toThrow(/retention\.batchSize/);
    expect(() => resolveRetentionOptions({ batchSize: 10_001 })).toThrow(/retention\.batchSize/);
    expect(() => resolveRetentionOptions({ intervalMs: 0.5 })).toThrow(/retention\.intervalMs/);
  });
});

describe('Retention', () => {
  it('prunes on its clock: first pass after the delay, then every interval', async () => {
    const clock = simulated();
    const old = [run(40), run(31)];
    const { store, pruning, calls } = await storeWith([...old, run(29), run(null)]);
    const r = retention(pruning, { keep: '30d', firstPassDelayMs: 60_000 }, clock);
    r.start();
    expect(r.status()).toEqual({
      keep: '30d',
      maxAgeMs: 30 * DAY,
      keepRuns: null,
      lastPruneAt: null,
      lastPruned: 0,
      totalPruned: 0,
      nextPruneAt: new Date(START + 60_000).toISOString(),
      lastError: null,
    });
    clock.increment(59_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(0);

    clock.increment(1);
    await waitFor(() => r.status().lastPruneAt !== null, { message: 'first pass' });
    expect(calls[0]!.query).toEqual({
      limit: 500,
      finishedBefore: new Date(START + 60_000 - 30 * DAY).toISOString(),
    });
    expect(r.status()).toMatchObject({
      lastPruneAt: new Date(START + 60_000).toISOString(),
      lastPruned: 2,
      totalPruned: 2,
      nextPruneAt: new Date(START + 60_000 + 600_000).toISOString(),
    });
    const left = (await store.listExecutions()).items;
    expect(left).toHaveLength(2);
    expect(left.some((e) => e.status === 'running')).toBe(true);

    // A day later the 29-day-old run is past the age; the running one never is.
    clock.increment(DAY);
    await waitFor(() => r.status().totalPruned === 3, { message: 'second pass' });
    expect((await store.listExecutions()).items.map((e) => e.status)).toEqual(['running']);
    r.stop();
    expect(r.status().nextPruneAt).toBeNull();
  });

  it('removes in bounded batches, yielding to the event loop between them', async () => {
    const { pruning, calls } = await storeWith(Array.from({ length: 7 }, () => run(100)));
    const order: string[] = [];
    const r = retention(
      {
        async pruneExecutions(query) {
          const n = await pruning.pruneExecutions(query);
          order.push(`batch:${n}`);
          setImmediate(() => order.push('other work'));
          return n;
        },
      },
      { keep: '1d', batchSize: 2 },
    );
    expect(await r.runNow()).toBe(7);
    expect(calls.map((c) => c.removed)).toEqual([2, 2, 2, 1]);
    expect(calls.every((c) => c.query.limit === 2)).toBe(true);
    expect(order).toEqual([
      'batch:2',
      'other work',
      'batch:2',
      'other work',
      'batch:2',
      'other work',
      'batch:1',
    ]);
  });

  it('keeps the newest N finished runs', async () => {
    const runs = [run(5), run(4), run(3), run(2), run(1), run(null)];
    const { store, pruning } = await storeWith(runs);
    expect(await retention(pruning, { keep: '2 runs' }).runNow()).toBe(3);
    const left = (await store.listExecutions()).items.map((e) => e.id).sort();
    expect(left).toEqual([runs[3]!.id, runs[4]!.id, runs[5]!.id].sort());
  });

  it('with forever, schedules nothing and prunes nothing', async () => {
    const clock = simulated();
    const { pruning, calls } = await storeWith([run(1000)]);
    const r = retention(pruning, { keep: 'forever' }, clock);
    r.start();
    expect(r.status()).toMatchObject({ keep: 'forever', nextPruneAt: null, maxAgeMs: null });
    clock.increment(365 * DAY);
    expect(await r.runNow()).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('reports a failed pass and runs the next one as planned', async () => {
    const clock = simulated();
    let fail = true;
    const { pruning } = await storeWith([run(100)]);
    const r = retention(
      {
        pruneExecutions: (q) =>
          fail ? Promise.reject(new Error('disk on fire')) : pruning.pruneExecutions(q),
      },
      { keep: '1d', firstPassDelayMs: 0, intervalMs: 1000 },
      clock,
    );
    r.start();
    clock.increment(0);
    await waitFor(() => r.status().lastError !== null, { message: 'failed pass' });
    expect(r.status().lastError).toMatchObject({ code: 'internal' });
    fail = false;
    clock.increment(1000);
    await waitFor(() => r.status().totalPruned === 1, { message: 'next pass' });
    expect(r.status().lastError).toBeNull();
    r.stop();
  });

  it('stops between batches, and its timer never holds the process', async () => {
    const handles: NodeJS.Timeout[] = [];
    const clock: Clock = {
      ...systemClock,
      setTimeout: (fn, ms) => {
        const h = systemClock.setTimeout(fn, ms) as NodeJS.Timeout;
        handles.push(h);
        return h;
      },
    };
    const { pruning, calls } = await storeWith(Array.from({ length: 5 }, () => run(100)));
    const r: Retention = retention(
      {
        async pruneExecutions(query) {
          const n = await pruning.pruneExecutions(query);
          r.stop();
          return n;
        },
      },
      { keep: '1d', batchSize: 1, firstPassDelayMs: 3_600_000 },
      clock,
    );
    r.start();
    expect(handles).toHaveLength(1);
    expect(handles[0]!.hasRef()).toBe(false);
    expect(await r.runNow()).toBe(1);
    expect(calls).toHaveLength(1);
    expect(r.status().nextPruneAt).toBeNull();
  });
});
