/**
 * Cron triggers on a whole service with a simulated scheduler: ticks happen when the test moves
 * the scheduler's clock, never on the wall clock, while runs execute for real. Runs that must
 * stay busy wait for a gate file the test creates. Covers firing on schedule, the four overlap
 * policies, and catch-up after a simulated restart (the stored trigger state says the service
 * was down since some time in the past).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { StampedEvent, TriggerEvent } from '../../../src/events.ts';
import { createSimulatedScheduler } from '../../../src/triggers/simulated-scheduler.ts';
import type { ExecutionRecord } from '../../../src/index.ts';
import type { TestStator } from '../../helpers/stator.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const START = Date.parse('2030-01-01T00:00:00.500Z');
type Stamped<T extends TriggerEvent['type']> = StampedEvent & Extract<TriggerEvent, { type: T }>;

// Each test starts its service with its own simulated scheduler.
const fixture = useStator({ start: 'manual' });

/** A service whose cron ticks follow a simulated clock, and a gate file busy runs wait for. */
async function setup(extra: Record<string, unknown> = {}) {
  const clock = new SimulatedClock();
  clock.set(START);
  const h = await fixture.start({ scheduler: createSimulatedScheduler(clock) });
  const gate = join(fixture.files, 'gate');
  await h.stator.registerWorkflow({
    id: 'every5',
    env: { GATE: gate },
    triggers: [{ cron: { schedule: '*/5 * * * * *' } }],
    steps: [{ id: 'wait', run: 'while [ ! -f "$GATE" ]; do sleep 0.02; done' }],
    ...extra,
  });
  const id = 'every5-cron-0';
  /** Moves the clock to the next tick and resolves with what the tick did. */
  const tick = async (): Promise<
    Stamped<'trigger.fired' | 'trigger.skipped' | 'trigger.queued'>
  > => {
    const next = (await h.stator.getTrigger(id)).nextFireAt!;
    clock.increment(Date.parse(next) - clock.now());
    return (await h.waitForEvent(
      (e) =>
        e.type.startsWith('trigger.') &&
        e.type !== 'trigger.status' &&
        (e as Stamped<'trigger.fired'>).scheduledAt === next,
    )) as Stamped<'trigger.fired'>;
  };
  const open = () => writeFile(gate, 'open');
  const running = async (executionId: string) =>
    waitFor(async () => (await h.stator.getExecution(executionId)).status === 'running', {
      message: `run ${executionId} running`,
    });
  return { h, clock, id, tick, open, running };
}

/** Asserts that no two of the runs were in progress at the same time. */
function assertSequential(runs: ExecutionRecord[]): void {
  const sorted = [...runs].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
  for (let i = 1; i < sorted.length; i++) {
    expect(Date.parse(sorted[i]!.startedAt!)).toBeGreaterThanOrEqual(
      Date.parse(sorted[i - 1]!.finishedAt!),
    );
  }
}

describe('cron triggers (simulated scheduler)', () => {
  it('fires on schedule, one run per tick, and lists its next and last fire', async () => {
    const { h, id, tick, open } = await setup({ overlap: 'allow' });
    await open();
    const before = await h.stator.getTrigger(id);
    expect(before).toMatchObject({
      id,
      workflowId: 'every5',
      kind: 'cron',
      state: 'active',
      schedule: '*/5 * * * * *',
      nextFireAt: '2030-01-01T00:00:05.000Z',
      lastFireAt: null,
      lastResult: null,
    });
    const fired: Stamped<'trigger.fired'>[] = [];
    for (let i = 0; i < 3; i++) {
      const e = await tick();
      expect(e.type).toBe('trigger.fired');
      fired.push(e as Stamped<'trigger.fired'>);
      await h.finish((e as Stamped<'trigger.fired'>).executionId);
    }
    expect(fired.map((e) => e.scheduledAt)).toEqual([
      '2030-01-01T00:00:05.000Z',
      '2030-01-01T00:00:10.000Z',
      '2030-01-01T00:00:15.000Z',
    ]);
    expect(fired.every((e) => e.origin === 'schedule' && e.source === `trigger.${id}`)).toBe(true);
    const after = await h.stator.getTrigger(id);
    expect(after).toMatchObject({
      nextFireAt: '2030-01-01T00:00:20.000Z',
      lastFireAt: '2030-01-01T00:00:15.000Z',
      lastResult: { status: 'started', executionId: fired[2]!.executionId },
      counts: { fired: 3, skipped: 0, failed: 0 },
    });
    const runs = await h.stator.listExecutions({ workflowId: 'every5' });
    expect(runs.items.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
  });

  it('skip: a tick while a run is going starts nothing and says why', async () => {
    const { h, tick, open, running } = await setup();
    const first = (await tick()) as Stamped<'trigger.fired'>;
    await running(first.executionId);
    const skipped = (await tick()) as Stamped<'trigger.skipped'>;
    expect(skipped).toMatchObject({
      type: 'trigger.skipped',
      reason: 'overlap',
      severity: 'warning',
    });
    expect(skipped.message).toContain(first.executionId);
    await open();
    await h.finish(first.executionId);
    const third = (await tick()) as Stamped<'trigger.fired'>;
    expect(third.type).toBe('trigger.fired');
    await h.finish(third.executionId);
    const runs = await Promise.all([first, third].map((e) => h.stator.getExecution(e.executionId)));
    expect((await h.stator.listExecutions({ workflowId: 'every5' })).items).toHaveLength(2);
    assertSequential(runs);
  });

  it('queue: waiting fires start one by one as runs end, up to maxQueued', async () => {
    const { h, tick, open, running } = await setup({ overlap: 'queue', maxQueued: 1 });
    const first = (await tick()) as Stamped<'trigger.fired'>;
    await running(first.executionId);
    const queued = (await tick()) as Stamped<'trigger.queued'>;
    expect(queued).toMatchObject({ type: 'trigger.queued', position: 1 });
    const full = (await tick()) as Stamped<'trigger.skipped'>;
    expect(full).toMatchObject({ type: 'trigger.skipped', reason: 'queue_full' });
    // Not created until it starts; it keeps the id it was given when queued.
    await expect(h.stator.getExecution(queued.executionId)).rejects.toMatchObject({
      code: 'not_found',
    });
    await open();
    const started = await h.waitForEvent(
      (e) => e.type === 'trigger.fired' && (e as Stamped<'trigger.fired'>).queued === true,
    );
    expect(started).toMatchObject({
      executionId: queued.executionId,
      scheduledAt: queued.scheduledAt,
    });
    const runs = [await h.finish(first.executionId), await h.finish(queued.executionId)];
    assertSequential(runs);
  });

  it('allow: ticks start runs that overlap', async () => {
    const { h, tick, open, running } = await setup({ overlap: 'allow' });
    const a = (await tick()) as Stamped<'trigger.fired'>;
    const b = (await tick()) as Stamped<'trigger.fired'>;
    expect([a.type, b.type]).toEqual(['trigger.fired', 'trigger.fired']);
    await running(a.executionId);
    await running(b.executionId);
    await open();
    await h.finish(a.executionId);
    await h.finish(b.executionId);
  });

  it('cancel_previous: a tick cancels the run in progress, then starts', async () => {
    const { h, tick, open, running } = await setup({ overlap: 'cancel_previous' });
    const a = (await tick()) as Stamped<'trigger.fired'>;
    await running(a.executionId);
    const b = (await tick()) as Stamped<'trigger.fired'>;
    expect(b).toMatchObject({ type: 'trigger.fired', cancelled: [a.executionId] });
    const cancelled = await h.stator.getExecution(a.executionId);
    expect(cancelled.status).toBe('cancelled');
    await open();
    const last = await h.finish(b.executionId);
    expect(last.status).toBe('completed');
    expect(Date.parse(last.startedAt!)).toBeGreaterThanOrEqual(Date.parse(cancelled.finishedAt!));
  });
});

describe('cron catch-up after a restart', () => {
  /**
   * Registers `def`, stops the service, stores a trigger state saying the last fire was at
   * `lastFireAt`, and starts the service again on the same data directory.
   */
  async function downSince(def: Record<string, unknown>, lastFireAt: number): Promise<TestStator> {
    const clock = new SimulatedClock();
    clock.set(Date.now());
    const h = await fixture.start({ scheduler: createSimulatedScheduler(clock) });
    await h.stator.registerWorkflow(def);
    const { createSqliteStore } = await import('../../../src/store/index.ts');
    await h.stator.close();
    const store = createSqliteStore({ path: join(h.dataDir, 'stator.db') });
    const at = new Date(lastFireAt).toISOString();
    await store.putTriggerState({
      id: `${def.id as string}-cron-0`,
      workflowId: def.id as string,
      paused: false,
      lastFireAt: at,
      lastResult: { status: 'started', executionId: 'ex_before' },
      updatedAt: at,
    });
    await store.close();
    await h.restart();
    return h;
  }

  const monthly = (catchUp: string) => ({
    id: `monthly-${catchUp}`,
    catchUp,
    overlap: 'allow',
    triggers: [{ cron: { schedule: '0 0 0 1 * *', timezone: 'UTC' } }],
    steps: [{ id: 'a', noop: true }],
  });
  const yearAgo = () => {
    const d = new Date();
    return Date.UTC(d.getUTCFullYear() - 1, d.getUTCMonth(), 1, 0, 0, 0);
  };
  const missedEvent = (h: TestStator) =>
    h.waitForEvent((e) => e.type === 'trigger.skipped') as Promise<Stamped<'trigger.skipped'>>;

  it('none: replays nothing and reports the missed ticks once', async () => {
    const h = await downSince(monthly('none'), yearAgo());
    const missed = await missedEvent(h);
    expect(missed).toMatchObject({ reason: 'missed', count: 12, origin: 'catch_up' });
    expect(missed.message).toContain('catchUp: none');
    expect((await h.stator.listExecutions({ workflowId: 'monthly-none' })).items).toEqual([]);
  });

  it('last: replays the latest missed tick only', async () => {
    const h = await downSince(monthly('last'), yearAgo());
    const fired = (await h.waitForEvent(
      (e) => e.type === 'trigger.fired',
    )) as Stamped<'trigger.fired'>;
    const now = new Date();
    expect(fired).toMatchObject({
      origin: 'catch_up',
      scheduledAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    });
    expect(await missedEvent(h)).toMatchObject({ count: 11 });
    await h.finish(fired.executionId);
    expect((await h.stator.listExecutions({ workflowId: 'monthly-last' })).items).toHaveLength(1);
  });

  it('all: replays every missed tick in order', async () => {
    const h = await downSince(monthly('all'), yearAgo());
    const fired = await waitFor(() => {
      const f = h.events.filter((e) => e.type === 'trigger.fired');
      return f.length >= 12 && f;
    });
    const ticks = (fired as Stamped<'trigger.fired'>[]).map((e) => e.scheduledAt);
    expect(ticks).toEqual([...ticks].sort());
    expect(new Set(ticks).size).toBe(12);
    expect(h.events.some((e) => e.type === 'trigger.skipped')).toBe(false);
    await waitFor(async () => {
      const runs = await h.stator.listExecutions({ workflowId: 'monthly-all', limit: 100 });
      return runs.items.length === 12 && runs.items.every((r) => r.status === 'completed');
    });
  });

  it('all is bounded: at most the latest 100 ticks replay, older ones are reported', async () => {
    const def = {
      id: 'minutely',
      catchUp: 'all',
      overlap: 'allow',
      triggers: [{ cron: { schedule: '0 * * * * *' } }],
      steps: [{ id: 'a', noop: true }],
    };
    const h = await downSince(def, Date.now() - 24 * 3600_000);
    const missed = await missedEvent(h);
    expect(missed.message).toMatch(/at least \d+ tick/);
    await waitFor(() => h.events.filter((e) => e.type === 'trigger.fired').length >= 100, {
      timeoutMs: 30_000,
    });
    const fired = h.events.filter((e) => e.type === 'trigger.fired') as Stamped<'trigger.fired'>[];
    expect(fired).toHaveLength(100);
    const latest = Math.floor(Date.now() / 60_000) * 60_000;
    expect(Date.parse(fired.at(-1)!.scheduledAt)).toBeGreaterThanOrEqual(latest - 60_000);
    expect(Date.parse(fired[0]!.scheduledAt)).toBe(
      Date.parse(fired.at(-1)!.scheduledAt) - 99 * 60_000,
    );
  }, 60_000);

  it('a paused trigger stays paused across a restart and catches nothing up', async () => {
    const clock = new SimulatedClock();
    clock.set(START);
    const h = await fixture.start({ scheduler: createSimulatedScheduler(clock) });
    await h.stator.registerWorkflow({ ...monthly('all'), id: 'paused-one' });
    await h.stator.pauseTrigger('paused-one-cron-0');
    await h.restart();
    const view = await h.stator.getTrigger('paused-one-cron-0');
    expect(view).toMatchObject({ state: 'paused', nextFireAt: null });
    await h.stator.resumeTrigger('paused-one-cron-0');
    expect((await h.stator.getTrigger('paused-one-cron-0')).state).toBe('active');
    expect(h.events.filter((e) => e.type === 'trigger.fired')).toEqual([]);
  });
});
