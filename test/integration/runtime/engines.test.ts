import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, type Bus } from '../../../src/bus/index.ts';
import { actorIn } from '../../../src/bus/subjects.ts';
import { rejection, waitFor } from '../../helpers/poll.ts';
import { ms, startStator, type TestStator } from '../../helpers/stator.ts';

const SLOW = 60_000;
const QUICK_WORKFLOW = { id: 'quick', steps: [{ id: 'only', run: 'echo "$STATOR_EXECUTION_ID"' }] };
const SLOW_WORKFLOW = { id: 'slow', steps: [{ id: 'nap', run: 'sleep 30' }] };

describe('runtime: engines and the work queue', () => {
  let t: TestStator | undefined;
  let bus: Bus | undefined;

  afterEach(async () => {
    await t?.close();
    await bus?.close();
    t = bus = undefined;
  });

  it(
    'completes 50 executions on 2 engines x 2 slots, never over the slots',
    { timeout: SLOW },
    async () => {
      t = await startStator({ engines: 2, slotsPerEngine: 2 });
      const stator = t.stator;
      await stator.registerWorkflow(QUICK_WORKFLOW);

      const health = await stator.health();
      expect(health.status).toBe('ok');
      expect(health.mode).toBe('embedded');
      expect(health.engines).toHaveLength(2);
      for (const e of health.engines) expect(e).toMatchObject({ slots: 2, busy: 0 });
      const engineIds = health.engines.map((e) => e.id);
      expect(new Set(engineIds).size).toBe(2);

      let overbooked = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const e of (await stator.health()).engines) if (e.busy > e.slots) overbooked++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const ids = await Promise.all(
        Array.from({ length: 50 }, () => stator.execute('quick').then((r) => r.executionId)),
      );
      expect(new Set(ids).size).toBe(50);
      const records = await Promise.all(ids.map((id) => t!.finish(id, 45_000)));
      sampling = false;
      await sampler;

      expect(records.map((r) => r.status)).toEqual(Array(50).fill('completed'));
      expect(overbooked).toBe(0);
      // Both engines took work, and nothing else did.
      expect(new Set(records.map((r) => r.engineId))).toEqual(new Set(engineIds));
      expect(new Set(records.map((r) => r.node))).toEqual(new Set(['test-node']));
      for (const r of records) {
        expect(await stator.logs(r.id)).toBe(`only stdout | ${r.id}\n`);
      }
      const after = await stator.health();
      expect(after.activeExecutions).toBe(0);
      for (const e of after.engines) expect(e.busy).toBe(0);
    },
  );

  it(
    'hands freed slots to queued runs without an engine ever refusing one',
    { timeout: SLOW },
    async () => {
      t = await startStator({ engines: 2, slotsPerEngine: 3 });
      await t.stator.registerWorkflow({ id: 'tiny', steps: [{ id: 'n', noop: true }] });
      const ids = await Promise.all(
        Array.from({ length: 300 }, () => t!.stator.execute('tiny').then((r) => r.executionId)),
      );
      const records = await Promise.all(ids.map((id) => t!.finish(id, 45_000)));
      expect(records.map((r) => r.status)).toEqual(Array(300).fill('completed'));
      // A refusal means the dispatcher offered a slot the engine had not freed yet: the run
      // went back to the queue and was adopted a second time.
      expect(t.events.filter((e) => e.type === 'engine.rejected')).toEqual([]);
      const after = await t.stator.health();
      for (const e of after.engines) expect(e.busy).toBe(0);
    },
  );

  it(
    'refuses execute with unavailable once queueLimit runs are waiting',
    { timeout: SLOW },
    async () => {
      t = await startStator({ engines: 1, slotsPerEngine: 1, queueLimit: 3 });
      const stator = t.stator;
      await stator.registerWorkflow(SLOW_WORKFLOW);
      const running = (await stator.execute('slow')).executionId;
      await t.waitForEvent((e) => e.type === 'step.started' && e.executionId === running);
      const queued: string[] = [];
      for (let i = 0; i < 3; i++) queued.push((await stator.execute('slow')).executionId);

      const refused = await rejection(stator.execute('slow'));
      expect(refused.code).toBe('unavailable');
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
    t = await startStator({ engines: 1, slotsPerEngine: 1 });
    const stator = t.stator;
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
    bus = createMemoryBus();
    t = await startStator({ bus, engines: 1, slotsPerEngine: 2 });
    const stator = t.stator;
    await stator.registerWorkflow(QUICK_WORKFLOW);
    const engineId = (await stator.health()).engines[0]!.id;
    const subject = actorIn('engine', engineId);
    const ask = async (payload: unknown) =>
      (await bus!.request(subject, payload, { timeoutMs: 10_000 })).json<Record<string, unknown>>();

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
      bus = createMemoryBus();
      t = await startStator({ bus, engines: 1 });
      await t.stator.registerWorkflow(QUICK_WORKFLOW);
      const engineId = (await t.stator.health()).engines[0]!.id;
      const ask = async (subject: string, payload: unknown) =>
        (await bus!.request(subject, payload, { timeoutMs: 10_000 })).json<{
          ok: boolean;
          data?: unknown;
          error?: { code: string; message: string; recoverable: boolean };
        }>();
      const subject = actorIn('engine', engineId);

      const notJson = await ask(subject, new TextEncoder().encode('{"type": "pause"'));
      expect(notJson).toMatchObject({ ok: false, error: { code: 'malformed_json' } });
      const unknownType = await ask(subject, { type: 'explode' });
      expect(unknownType).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      const notAnObject = await ask(subject, [1, 2, 3]);
      expect(notAnObject).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      const badExecute = await ask(subject, { type: 'execute', workflowId: '' });
      expect(badExecute).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      const noEngine = await ask(actorIn('engine', 'no-such-engine'), { type: 'pause' });
      expect(noEngine).toMatchObject({ ok: false, error: { code: 'not_found' } });
      // Fire-and-forget garbage (no reply subject) is dropped quietly.
      bus.publish(subject, new TextEncoder().encode('garbage'));

      // Nothing changed: the engine still works, directly and through the bus.
      expect((await t.stator.health()).engines[0]!.status).toBe('idle');
      const viaBus = await ask(subject, { type: 'execute', workflowId: 'quick' });
      expect(viaBus).toMatchObject({ ok: true, data: { executionId: expect.any(String) } });
      const busRun = await t.finish((viaBus.data as { executionId: string }).executionId);
      expect(busRun.status).toBe('completed');
      const { record } = await t.run('quick');
      expect(record.status).toBe('completed');
      await waitFor(async () => (await t!.stator.health()).activeExecutions === 0);
    },
  );
});
