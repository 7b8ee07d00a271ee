/**
 * ExecutionCancel over a real in-process bus shared by two "processes" (each with its own live
 * runs, owned executions and actor router, as create-stator wires them) and one store: a run is
 * cancelled by whoever holds it, a queued run is settled in the store, and a cancel that meets an
 * adoption in progress is answered once, whichever side of the record write the adopter read.
 */
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryBus, type Bus } from '../../../../src/bus/index.ts';
import { createActorRouter, type ActorRouter } from '../../../../src/runtime/actor-router.ts';
import { LiveExecutions, type LiveExecution } from '../../../../src/runtime/live-executions.ts';
import { ExecutionCancel, OwnedExecutions } from '../../../../src/runtime/service/index.ts';
import {
  createMemoryStore,
  pendingStep,
  type ExecutionRecord,
  type Store,
} from '../../../../src/store/index.ts';

const logger = pino({ level: 'silent' });
const routers: ActorRouter[] = [];
afterEach(() => routers.splice(0).forEach((r) => r.close()));

function record(status: ExecutionRecord['status'], node: string | null): ExecutionRecord {
  return {
    id: 'ex1',
    workflowId: 'wf',
    status,
    input: {},
    createdAt: '2024-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node,
    definition: { id: 'wf', steps: [{ id: 'a', kind: 'noop' }] } as never,
    steps: [pendingStep('a')],
  };
}

/** One process: its live runs, what it owns, its router and its cancel, on a shared bus and store. */
function processOn(bus: Bus, store: Store, opts: { embedded?: boolean } = {}) {
  const emit = vi.fn();
  const remove = vi.fn(() => true);
  // The route calls the cancel built below (the router is needed to build it).
  const ref: { cancel?: ExecutionCancel } = {};
  const router = createActorRouter(
    bus,
    {
      execution: (id, event) => ref.cancel!.cancelOwned(id, event.reason as string | undefined),
      engine: async () => undefined,
      trigger: async () => undefined,
      session: async () => undefined,
    },
    logger,
    { answerUnknown: opts.embedded ?? false },
  );
  routers.push(router);
  const owned = new OwnedExecutions({
    own: (id) => router.own('execution', id),
    release: (id) => router.release('execution', id),
  });
  const executions = new LiveExecutions({ owners: owned });
  const cancel = new ExecutionCancel({
    executions,
    owned,
    created: new Map(),
    queue: { remove },
    store,
    pipeline: { emit },
    bus,
    getExecution: async (id) => (await store.getExecution(id))!,
    clock: { now: () => Date.parse('2024-01-01T00:00:01Z') },
    ownerTimeoutMs: 2000,
  });
  ref.cancel = cancel;
  /** Makes a run live here whose workflow actor ends `cancelled` when sent `cancel`. */
  const live = (rec: ExecutionRecord): LiveExecution => {
    const run: LiveExecution = {
      record: rec,
      definition: rec.definition,
      inputs: {},
      actor: {
        send: () =>
          void (async () => {
            await store.updateExecution(rec.id, { status: 'cancelled' });
            emit('execution', rec.id, { type: 'execution.cancelled' });
            const final = await store.getExecution(rec.id);
            executions.finish(rec.id, () => final);
          })(),
      } as never,
    };
    executions.add(run);
    return run;
  };
  return { emit, remove, router, owned, executions, cancel, live };
}

const types = (emit: ReturnType<typeof vi.fn>) => emit.mock.calls.map(([, , e]) => e.type);

describe('ExecutionCancel', () => {
  it('settles a queued run nobody holds: cancelled, steps skipped, events once', async () => {
    const store = createMemoryStore();
    const a = processOn(createMemoryBus(), store);
    await store.createExecution(record('pending', null));
    const result = await a.cancel.cancel('ex1', 'no longer needed');
    expect(result).toMatchObject({ status: 'cancelled', steps: [{ status: 'skipped' }] });
    expect(result.error).toMatchObject({ code: 'cancelled', message: 'no longer needed' });
    expect(a.remove).toHaveBeenCalledWith('ex1');
    expect(types(a.emit)).toEqual(['step.skipped', 'execution.cancelled']);
    await expect(a.cancel.cancel('ex1')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('embedded, settles it too (the process answers not_found for runs nobody holds)', async () => {
    const store = createMemoryStore();
    const a = processOn(createMemoryBus(), store, { embedded: true });
    await store.createExecution(record('pending', null));
    expect((await a.cancel.cancel('ex1')).status).toBe('cancelled');
    expect(types(a.emit)).toEqual(['step.skipped', 'execution.cancelled']);
  });

  it('has the run cancelled by the process that holds it, and only that one', async () => {
    const store = createMemoryStore();
    const bus = createMemoryBus();
    const [a, b] = [processOn(bus, store), processOn(bus, store)];
    await store.createExecution(record('running', 'b'));
    b.live(record('running', 'b'));
    expect(b.router.owns('execution', 'ex1')).toBe(true);
    expect(a.router.owns('execution', 'ex1')).toBe(false);
    expect((await a.cancel.cancel('ex1')).status).toBe('cancelled');
    expect(types(b.emit)).toEqual(['execution.cancelled']);
    expect(types(a.emit)).toEqual([]);
    // The run left b: its subject is released, and a second cancel is a conflict.
    expect(b.router.owns('execution', 'ex1')).toBe(false);
    await expect(a.cancel.cancel('ex1')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('cancels through an adopter that read the record before the cancel was written', async () => {
    const store = createMemoryStore();
    const bus = createMemoryBus();
    const [a, b] = [processOn(bus, store), processOn(bus, store)];
    await store.createExecution(record('pending', null));
    // Nobody held it when a asked; b subscribes right after and reads `pending` (the record as
    // it was before a's write), then makes the run live.
    let adopting: Promise<unknown> | undefined;
    a.remove.mockImplementation(() => {
      const read = record('pending', null);
      adopting = b.owned.adopt('ex1', async () => b.live(read));
      return true;
    });
    const result = await a.cancel.cancel('ex1');
    expect(result.status).toBe('cancelled');
    await adopting;
    // b ran the run and reported its end; a reported nothing.
    expect(types(b.emit)).toEqual(['execution.cancelled']);
    expect(types(a.emit)).toEqual([]);
  });

  it('reports the cancel itself when the adopter read the write and skipped the run', async () => {
    const store = createMemoryStore();
    const bus = createMemoryBus();
    const [a, b] = [processOn(bus, store), processOn(bus, store)];
    await store.createExecution(record('pending', null));
    let adopting: Promise<unknown> | undefined;
    const update = store.updateExecution.bind(store);
    vi.spyOn(store, 'updateExecution').mockImplementation(async (id, patch) => {
      await update(id, patch);
      // b starts adopting right after the write: it reads `cancelled` and skips the run.
      adopting ??= b.owned.adopt('ex1', async () => {
        const rec = (await store.getExecution('ex1'))!;
        return rec.status === 'cancelled' ? undefined : b.live(rec);
      });
    });
    const result = await a.cancel.cancel('ex1');
    expect(result.status).toBe('cancelled');
    await adopting;
    expect(types(a.emit)).toEqual(['step.skipped', 'execution.cancelled']);
    expect(types(b.emit)).toEqual([]);
    expect(b.router.owns('execution', 'ex1')).toBe(false);
  });

  it('settles a run whose node is gone (nobody subscribes its subject)', async () => {
    const store = createMemoryStore();
    const a = processOn(createMemoryBus(), store);
    await store.createExecution(record('running', 'dead-node'));
    expect((await a.cancel.cancel('ex1')).status).toBe('cancelled');
    expect(types(a.emit)).toEqual(['step.skipped', 'execution.cancelled']);
  });

  it('answers unavailable when the holder does not answer in time', async () => {
    const store = createMemoryStore();
    const bus = createMemoryBus();
    const a = processOn(bus, store);
    await store.createExecution(record('running', 'stuck'));
    // A holder whose process is stuck: subscribed, never answering.
    bus.subscribe('stator.execution.ex1.in', () => undefined);
    await expect(a.cancel.cancel('ex1')).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/node 'stuck'/),
    });
    expect((await store.getExecution('ex1'))!.status).toBe('running');
  });
});
