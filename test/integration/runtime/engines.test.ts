import { describe, expect, it } from 'vitest';
import { subjectSpace } from '../../../src/bus/subjects.ts';
import type { EngineEvent, ExecutionRecord, StampedEvent } from '../../../src/index.ts';
import { rejection, waitFor } from '../../helpers/poll.ts';
import { ms } from '../../helpers/stator.ts';
import { useStator } from '../../helpers/use-stator.ts';

/** Names of the default deployment (prefix `stator`), which these tests run as. */
const { actorIn, actorWildcard } = subjectSpace();

const SLOW = 60_000;
const QUICK_WORKFLOW = { id: 'quick', steps: [{ id: 'only', run: 'echo "$STATOR_EXECUTION_ID"' }] };
// Outlasts any test: its runs hold their slot until cancelled.
const SLOW_WORKFLOW = { id: 'slow', steps: [{ id: 'nap', run: 'sleep 30' }] };

type EngineStatus = StampedEvent & Extract<EngineEvent, { type: 'engine.status' }>;

/** Most runs of one engine in progress at once, from the times their records were stamped with. */
function peakPerEngine(records: readonly ExecutionRecord[]): Map<string, number> {
  const edges = records.flatMap((r) => [
    { engine: r.engineId!, at: ms(r.startedAt), delta: 1 },
    { engine: r.engineId!, at: ms(r.finishedAt), delta: -1 },
  ]);
  // At equal times, a run that ends frees its slot before the next one starts.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  for (const { engine, delta } of edges) {
    const now = (running.get(engine) ?? 0) + delta;
    running.set(engine, now);
    peak.set(engine, Math.max(peak.get(engine) ?? 0, now));
  }
  return peak;
}

describe('runtime: engines and the work queue', () => {
  // Each test starts its service with the engines and slots it needs.
  const t = useStator({ start: 'manual', memoryBus: true });

  it(
    'completes 50 executions on 2 engines x 2 slots, never over the slots',
    { timeout: SLOW },
    async () => {
      // What the engines publish on their .out subjects, from their first status update on.
      const statuses: EngineStatus[] = [];
      const rejected: StampedEvent[] = [];
      t.bus.subscribe(actorWildcard('out', 'engine'), (msg) => {
        const event = msg.json<StampedEvent>();
        if (event.type === 'engine.status') statuses.push(event as EngineStatus);
        if (event.type === 'engine.rejected') rejected.push(event);
      });
      const { stator } = await t.start({ engines: 2, slotsPerEngine: 2 });
      await stator.registerWorkflow(QUICK_WORKFLOW);

      const health = await stator.health();
      expect(health.status).toBe('ok');
      expect(health.mode).toBe('embedded');
      expect(health.engines).toHaveLength(2);
      for (const e of health.engines) expect(e).toMatchObject({ slots: 2, busy: 0 });
      const engineIds = health.engines.map((e) => e.id);
      expect(new Set(engineIds).size).toBe(2);

      const ids = await Promise.all(
        Array.from({ length: 50 }, () => stator.execute('quick').then((r) => r.executionId)),
      );
      expect(new Set(ids).size).toBe(50);
      const records = await Promise.all(ids.map((id) => t.finish(id, 45_000)));

      expect(records.map((r) => r.status)).toEqual(Array(50).fill('completed'));
      // Both engines took work, and nothing else did.
      expect(new Set(records.map((r) => r.engineId))).toEqual(new Set(engineIds));
      expect(new Set(records.map((r) => r.node))).toEqual(new Set(['test-node']));
      for (const r of records) {
        expect(await stator.logs(r.id)).toBe(`only stdout | ${r.id}\n`);
      }

      // The engines' own account. An engine refuses a run offered past its slots with
      // engine.rejected, so none means the dispatcher never offered more than the free slots.
      // Each status update names the slots and how many are busy. An engine announces
      // `running` when it takes work while idle and `idle` when its last run ends, so once all
      // runs are done each engine's last update says idle, no slot busy.
      const statusOf = (id: string) => statuses.filter((e) => e.engineId === id);
      await waitFor(() => engineIds.every((id) => statusOf(id).at(-1)?.status === 'idle'), {
        message: 'both engines idle again',
      });
      expect(rejected).toEqual([]);
      for (const id of engineIds) {
        const updates = statusOf(id);
        expect(updates[0]).toMatchObject({ status: 'idle', busy: 0, slots: 2 });
        expect(updates.some((s) => s.status === 'running')).toBe(true);
        for (const s of updates) {
          expect(s.slots).toBe(2);
          expect(s.busy).toBeLessThanOrEqual(s.slots);
        }
        expect(updates.at(-1)).toMatchObject({ status: 'idle', busy: 0 });
      }
      // And the runs' own times: never more of them in progress on one engine than its slots.
      for (const [engine, peak] of peakPerEngine(records)) {
        expect(peak, `runs at once on ${engine}`).toBeLessThanOrEqual(2);
      }
      expect((await stator.health()).activeExecutions).toBe(0);
    },
  );

  it(
    'hands freed slots to queued runs without an engine ever refusing one',
    { timeout: SLOW },
    async () => {
      await t.start({ engines: 2, slotsPerEngine: 3 });
      await t.stator.registerWorkflow({ id: 'tiny', steps: [{ id: 'n', noop: true }] });
      const ids = await Promise.all(
        Array.from({ length: 300 }, () => t.stator.execute('tiny').then((r) => r.executionId)),
      );
      const records = await Promise.all(ids.map((id) => t.finish(id, 45_000)));
      expect(records.map((r) => r.status)).toEqual(Array(300).fill('completed'));
      // A refusal means the dispatcher offered a slot the engine had not freed yet: the run
      // went back to the queue and was adopted a second time.
      expect(t.events.filter((e) => e.type === 'engine.rejected')).toEqual([]);
      const after = await t.stator.health();
      for (const e of after.engines) expect(e.busy).toBe(0);
    },
  );

  it(
    'refuses execute with queue_full once queueLimit runs are waiting',
    { timeout: SLOW },
    async () => {
      const { stator } = await t.start({ engines: 1, slotsPerEngine: 1, queueLimit: 3 });
      await stator.registerWorkflow(SLOW_WORKFLOW);
      const running = (await stator.execute('slow')).executionId;
      await t.waitForEvent((e) => e.type === 'step.started' && e.executionId === running);
      const queued: string[] = [];
      for (let i = 0; i < 3; i++) queued.push((await stator.execute('slow')).executionId);

      const refused = await rejection(stator.execute('slow'));
      expect(refused.code).toBe('queue_full');
      expect((refused as { recoverable?: boolean }).recoverable).toBe(true);
      expect((await stator.listExecutions()).items).toHaveLength(4);
      const health = await stator.health();
      expect(health.engines[0]).toMatchObject({ busy: 1, slots: 1, queued: 3 });
      for (const id of queued) expect((await stator.getExecution(id)).status).toBe('pending');

      // Cancelling a queued run frees its place in the queue.
      expect((await stator.cancel(queued[0]!)).status).toBe('cancelled');
      queued[0] = (await stator.execute('slow')).executionId;
      for (const id of [running, ...queued]) {
        expect((await stator.cancel(id)).status).toBe('cancelled');
      }
      const first = await stator.getExecution(running);
      expect(first.steps[0]!.status).toBe('cancelled');
    },
  );

  it('a run cancelled while queued ends with its steps skipped, like a cancelled running run', async () => {
    const { stator } = await t.start({ engines: 1, slotsPerEngine: 1 });
    await stator.registerWorkflow(SLOW_WORKFLOW);
    const running = (await stator.execute('slow')).executionId;
    const queued = (await stator.execute('slow')).executionId;
    const record = await stator.cancel(queued);
    expect(record.status).toBe('cancelled');
    expect(record.finishedAt).not.toBeNull();
    // A final run must not keep steps that look like they are still to come.
    expect(record.steps.map((s) => s.status)).toEqual(['skipped']);
    expect((await stator.cancel(running)).steps.map((s) => s.status)).toEqual(['cancelled']);
  });

  it('pauses and resumes an engine through stator.engine.<id>.in', { timeout: SLOW }, async () => {
    const { stator } = await t.start({ engines: 1, slotsPerEngine: 2 });
    await stator.registerWorkflow(QUICK_WORKFLOW);
    const engineId = (await stator.health()).engines[0]!.id;
    const subject = actorIn('engine', engineId);
    const ask = async (payload: unknown) =>
      (await t.bus.request(subject, payload, { timeoutMs: 10_000 })).json<
        Record<string, unknown>
      >();

    expect(await ask({ type: 'pause' })).toEqual({
      ok: true,
      data: { id: engineId, status: 'paused', slots: 2, busy: 0, queued: 0 },
    });
    const { executionId } = await stator.execute('quick');
    // A paused engine takes no work: the run stays queued while the engine reports paused.
    expect(await ask({ type: 'health.check' })).toMatchObject({
      ok: true,
      data: { status: 'paused' },
    });
    expect((await stator.getExecution(executionId)).status).toBe('pending');
    expect((await stator.health()).engines[0]!.status).toBe('paused');

    const resumedAt = Date.now();
    const resumed = await ask({ type: 'resume' });
    expect(resumed).toMatchObject({ ok: true, data: { id: engineId } });
    expect(['idle', 'running']).toContain((resumed.data as { status: string }).status);
    const record = await t.finish(executionId);
    expect(record.status).toBe('completed');
    expect(ms(record.startedAt)).toBeGreaterThanOrEqual(resumedAt);
    expect(record.engineId).toBe(engineId);
  });

  it(
    'answers malformed engine commands with structured errors and keeps working',
    { timeout: SLOW },
    async () => {
      await t.start({ engines: 1 });
      await t.stator.registerWorkflow(QUICK_WORKFLOW);
      const engineId = (await t.stator.health()).engines[0]!.id;
      const ask = async (subject: string, payload: unknown) =>
        (await t.bus.request(subject, payload, { timeoutMs: 10_000 })).json<{
          ok: boolean;
          data?: unknown;
          error?: { code: string; message: string; recoverable: boolean };
        }>();
      const subject = actorIn('engine', engineId);

      const notJson = await ask(subject, new TextEncoder().encode('{"type": "pause"'));
      expect(notJson).toMatchObject({ ok: false, error: { code: 'malformed_json' } });
      // Inbound actor subjects get the full input bounds, not only a depth check.
      const huge = await ask(subject, { type: 'pause', note: 'x'.repeat(300_000) });
      expect(huge).toMatchObject({
        ok: false,
        error: { code: 'input_bounds', details: { bound: 'string_length' } },
      });
      const wide = await ask(subject, {
        type: 'pause',
        items: Array.from({ length: 300_000 }, () => 0),
      });
      expect(wide).toMatchObject({
        ok: false,
        error: { code: 'input_bounds', details: { bound: 'entries' } },
      });
      const unknownType = await ask(subject, { type: 'explode' });
      expect(unknownType).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      const notAnObject = await ask(subject, [1, 2, 3]);
      expect(notAnObject).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      const badExecute = await ask(subject, { type: 'execute', workflowId: '' });
      expect(badExecute).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      const noEngine = await ask(actorIn('engine', 'no-such-engine'), { type: 'pause' });
      expect(noEngine).toMatchObject({ ok: false, error: { code: 'not_found' } });
      // Fire-and-forget garbage (no reply subject) is dropped quietly.
      t.bus.publish(subject, new TextEncoder().encode('garbage'));

      // Nothing changed: the engine still works, directly and through the bus.
      expect((await t.stator.health()).engines[0]!.status).toBe('idle');
      const viaBus = await ask(subject, { type: 'execute', workflowId: 'quick' });
      expect(viaBus).toMatchObject({ ok: true, data: { executionId: expect.any(String) } });
      const busRun = await t.finish((viaBus.data as { executionId: string }).executionId);
      expect(busRun.status).toBe('completed');
      const { record } = await t.run('quick');
      expect(record.status).toBe('completed');
      await waitFor(async () => (await t.stator.health()).activeExecutions === 0);
    },
  );
});
